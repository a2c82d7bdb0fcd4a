import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { execFileSync } from "node:child_process";
import { hashBytes } from "../hash.ts";
import { NixCompatError } from "../errors.ts";
import { narBytes, nixDump } from "../../../test/support/nar.ts";
import { narChunks, narHash } from "./writer.ts";

describe("NAR writer", () => {
  let work: string;
  before(() => (work = mkdtempSync(join(tmpdir(), "tvix-nar-writer-"))));
  after(() => rmSync(work, { recursive: true, force: true }));

  const fresh = (name: string): string => {
    const path = join(work, name);
    mkdirSync(path);
    return path;
  };

  it("writes regular and empty files as nix-store --dump does", async () => {
    for (const [name, contents] of [["hello", "hello"], ["empty", ""], ["eight", "12345678"], ["nine", "123456789"]]) {
      const path = join(work, name);
      writeFileSync(path, contents);
      assert.deepEqual(narBytes(path), await nixDump(path), name);
    }
  });

  it("marks a file executable exactly when its owner may execute it (S_IXUSR)", async () => {
    const dir = fresh("modes");
    for (const mode of [0o755, 0o744, 0o700, 0o500, 0o100, 0o654, 0o645, 0o611, 0o644, 0o444]) {
      const path = join(dir, mode.toString(8));
      writeFileSync(path, "#!/bin/sh\n");
      chmodSync(path, mode);
    }
    const ours = narBytes(dir);
    assert.deepEqual(ours, await nixDump(dir));
    // Five of the modes have the owner's x bit.
    assert.equal(ours.toString("latin1").split("executable").length - 1, 5);
  });

  it("archives a symlink as the link itself, dangling or not", async () => {
    const dangling = join(work, "dangling");
    symlinkSync("/nonexistent/target", dangling);
    const toDir = join(work, "to-dir");
    symlinkSync(fresh("target-dir"), toDir);
    for (const path of [dangling, toDir]) assert.deepEqual(narBytes(path), await nixDump(path), path);
  });

  it("orders entries by the bytes of their names, not UTF-16 or locale", async () => {
    const dir = fresh("order");
    // U+FF61 sorts before U+1F600 in UTF-8 bytes but after it in UTF-16 code units.
    const names = ["\uFF61", "\u{1F600}", "a", "B", "a.b", "a-b", "ab", "é", "~"].map((s) => Buffer.from(s));
    names.push(Buffer.from([0x61, 0xff]), Buffer.from([0x80]));
    for (const name of names) writeFileSync(Buffer.concat([Buffer.from(dir + "/"), name]), name);
    assert.deepEqual(narBytes(dir), await nixDump(dir));
  });

  it("gives the same bytes whatever the chunk size, in chunks no larger than asked", async () => {
    const dir = fresh("chunks");
    writeFileSync(join(dir, "big"), Buffer.alloc(100_003, 7));
    for (let i = 0; i < 300; i++) writeFileSync(join(dir, `f${i}`), "x".repeat(i));
    const nix = await nixDump(dir);
    for (const chunkSize of [16 << 10, 100_000, 1 << 20]) {
      const parts: Buffer[] = [];
      for (const chunk of narChunks(dir, { chunkSize })) {
        assert.ok(chunk.length > 0 && chunk.length <= chunkSize);
        parts.push(Buffer.from(chunk));
      }
      assert.deepEqual(Buffer.concat(parts), nix, `chunk size ${chunkSize}`);
    }
  });

  it("refuses FIFOs and sockets, naming the path", async () => {
    const dir = fresh("special");
    execFileSync("mkfifo", [join(dir, "fifo")]);
    assert.throws(() => narBytes(dir), (err: Error) => err instanceof NixCompatError && err.message === `file '${dir}/fifo' has an unsupported type`);
    const socketDir = fresh("socket");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(socketDir, "sock"), resolve));
    try {
      assert.throws(() => narBytes(socketDir), /file '.*\/sock' has an unsupported type/);
    } finally {
      server.close();
    }
  });

  it("leaves out what a filter rejects, asking in archive order and never about the root", () => {
    const full = fresh("filter-full");
    const kept = fresh("filter-kept");
    for (const root of [full, kept]) {
      mkdirSync(join(root, "a/b"), { recursive: true });
      writeFileSync(join(root, "a/b/keep"), "k");
      writeFileSync(join(root, "z"), "z");
    }
    mkdirSync(join(full, "a/skip"));
    writeFileSync(join(full, "a/skip/inner"), "never asked about");
    writeFileSync(join(full, "a/b/drop.log"), "d");
    const asked: string[] = [];
    const filter = (path: Buffer): boolean => {
      const relative = path.toString().slice(full.length + 1);
      asked.push(relative);
      return !relative.endsWith("skip") && !relative.endsWith(".log");
    };
    assert.deepEqual(narHash(full, "sha256", filter), narHash(kept));
    assert.deepEqual(asked, ["a", "a/b", "a/b/drop.log", "a/b/keep", "a/skip", "z"]);
  });

  it("hashes the NAR as Nix does (nix-hash), with the NAR's size", async () => {
    const dir = fresh("hashed");
    writeFileSync(join(dir, "a"), "a");
    symlinkSync("a", join(dir, "l"));
    const nix = await nixDump(dir);
    for (const algo of ["sha256", "sha1", "sha512", "md5"] as const) {
      const { hash, size } = narHash(dir, algo);
      assert.equal(size, nix.length);
      assert.equal(hash.encode("base16"), hashBytes(algo, nix).encode("base16"));
      assert.equal(hash.encode("base16"), execFileSync("nix-hash", ["--type", algo, dir], { encoding: "utf8" }).trim());
    }
    assert.equal(narHash(dir).hash.algo, "sha256");
  });

  it("writes whole NARs to a pipe that Node made non-blocking, while the reader lags", async () => {
    // A large file goes through the worker; many small ones are written on the main thread.
    const large = fresh("piped-large");
    writeFileSync(join(large, "big"), Buffer.alloc(3 << 20, 1));
    const small = fresh("piped-small");
    for (let i = 0; i < 100; i++) writeFileSync(join(small, `f${i}`), Buffer.alloc(10_000, i));
    for (const dir of [large, small]) {
      const script = `process.stdout; const { writeNar } = await import(${JSON.stringify(new URL("./writer.ts", import.meta.url).href)}); writeNar(${JSON.stringify(dir)}, 1);`;
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
      const parts: Buffer[] = [];
      child.stdout.pause();
      // While paused the pipe fills up and the writer sees EAGAIN.
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.stdout.on("data", (d: Buffer) => parts.push(d)).resume();
      const status = await new Promise((resolve) => child.on("close", resolve));
      assert.equal(status, 0);
      assert.deepEqual(Buffer.concat(parts), await nixDump(dir), dir);
    }
  });
});
