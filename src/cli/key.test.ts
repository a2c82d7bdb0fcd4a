import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { SecretKey } from "../nix-compat/signing.ts";

const TVIX = fileURLToPath(new URL("../../bin/tvix.js", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "tvix-key-cli-"));
after(() => rmSync(work, { recursive: true, force: true }));

function tvix(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [TVIX, ...args], { cwd: work, input, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("tvix key generate", () => {
  it("writes a secret key (mode 0600) and its public key, without trailing newlines", () => {
    const result = tvix(["key", "generate", "cache.example.org-1", "a.sec", "a.pub"]);
    assert.equal(result.status, 0, result.stderr);
    const secretText = readFileSync(join(work, "a.sec"), "utf8");
    const publicText = readFileSync(join(work, "a.pub"), "utf8");
    assert.match(secretText, /^cache\.example\.org-1:[A-Za-z0-9+/]{86}==$/);
    assert.match(publicText, /^cache\.example\.org-1:[A-Za-z0-9+/]{43}=$/);
    assert.equal(SecretKey.parse(secretText).publicKey.toString(), publicText);
    assert.equal(statSync(join(work, "a.sec")).mode & 0o777, 0o600);
  });

  it("refuses to overwrite either file unless --force, leaving no temporary files", () => {
    writeFileSync(join(work, "b.pub"), "keep me");
    const before = readdirSync(work).sort();
    const refused = tvix(["key", "generate", "k", "b.sec", "b.pub"]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^error: 'b\.pub' already exists; pass --force/);
    assert.deepEqual(readdirSync(work).sort(), before, "nothing written");
    assert.equal(readFileSync(join(work, "b.pub"), "utf8"), "keep me");

    const forced = tvix(["key", "generate", "--force", "k", "b.sec", "b.pub"]);
    assert.equal(forced.status, 0, forced.stderr);
    assert.equal(SecretKey.parse(readFileSync(join(work, "b.sec"), "utf8")).publicKey.toString(), readFileSync(join(work, "b.pub"), "utf8"));
    assert.deepEqual(readdirSync(work).sort(), [...before, "b.sec"].sort());
  });

  it("rejects bad names and argument counts without writing", () => {
    for (const name of ["", "has:colon", "has space"]) {
      const result = tvix(["key", "generate", name, "c.sec", "c.pub"]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /^error: .*key name/);
    }
    const few = tvix(["key", "generate", "k", "c.sec"]);
    assert.equal(few.status, 1);
    assert.match(few.stderr, /takes three arguments/);
    assert.ok(!readdirSync(work).some((f) => f.startsWith("c.")));
  });
});

describe("tvix key public", () => {
  const key = SecretKey.generate("pub-test");
  writeFileSync(join(work, "p.sec"), `${key.toString()}\n`);

  it("prints the public key of a secret key file or of standard input", () => {
    assert.deepEqual(tvix(["key", "public", "p.sec"]), { status: 0, stdout: `${key.publicKey.toString()}\n`, stderr: "" });
    assert.deepEqual(tvix(["key", "public", "-"], key.toString()), { status: 0, stdout: `${key.publicKey.toString()}\n`, stderr: "" });
  });

  it("explains a file that holds no secret key, without printing its contents", () => {
    writeFileSync(join(work, "p.pub"), key.publicKey.toString());
    const result = tvix(["key", "public", "p.pub"]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, "error: secret key 'pub-test' has 32 bytes, not 64\n");
    const garbage = tvix(["key", "public", "-"], "pub-test:AAAA@AAA");
    assert.equal(garbage.status, 1);
    assert.ok(!garbage.stderr.includes("AAAA@AAA"), garbage.stderr);
  });
});
