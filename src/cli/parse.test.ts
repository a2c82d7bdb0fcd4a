// `tvix parse` against `nix-instantiate --parse` (real Nix 2.8, run by the test): the printed
// expression, error messages with their source excerpt, exit codes, how files are found, and
// nesting as deep as Nix's parser allows (its bison stack of 10000 entries).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const RUN_COMMAND = fileURLToPath(new URL("../../test/support/run-command.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tvix-parse-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

const env = { ...process.env, HOME: "/home/cli-test", NIX_REMOTE: "dummy://" };

function ours(args: string[]): Run {
  const r = spawnSync(process.execPath, [RUN_COMMAND, "parse", ...args], { cwd: dir, env, encoding: "latin1" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function nix(args: string[]): Run {
  const r = spawnSync("nix-instantiate", ["--parse", ...args], { cwd: dir, env, encoding: "latin1" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function assertSame(args: string[]): void {
  assert.deepEqual(ours(args), nix(args), args.join(" "));
}

test("expressions and files print as nix-instantiate --parse prints them", () => {
  assertSame(["-E", '{ a = 1; b = x: x.y or "z${x}"; c = ./rel; d = ~/h; e = <nixpkgs>; }']);
  assertSame(["-E", "1 + 2 * 3", "-E", "[ (a: a) ]"]);
  assertSame([file("ok.nix", "let x = 1; in\n  if x == 1 then [ x ] else null\n")]);
});

test("errors: message, position and source excerpt as Nix prints them, exit status 1", () => {
  assertSame(["-E", "{ a = 1;\n  b = ;\n}\n"]);
  assertSame([file("bad.nix", "{\n  a = 1;\n  b = ;\n}\n")]);
  assertSame([file("dup.nix", "{\n  a = 1;\n  a = 2;\n}\n")]);
  assertSame([file("undefined.nix", "x:\n  y\n\n")]);
  assertSame(["-E", "1 + 2", "-E", "(", "-E", "3"]);
});

test("files: a directory means its default.nix, symlinks are followed, missing files fail", () => {
  mkdirSync(join(dir, "pkg"));
  file("pkg/default.nix", "{ }\n");
  symlinkSync("bad.nix", join(dir, "link.nix"));
  assertSame(["pkg"]);
  assertSame(["link.nix"]);
  assertSame(["missing.nix"]);
  mkdirSync(join(dir, "empty"));
  assertSame(["empty"]);
});

test("nesting: accepted and refused at the depth where Nix's parser stack overflows", () => {
  const cases: [string, string][] = [
    ["parens-ok.nix", `${"(".repeat(9995)}1${")".repeat(9995)}\n`],
    ["parens-deep.nix", `${"(".repeat(9996)}1${")".repeat(9996)}\n`],
    ["lists-ok.nix", `${"[".repeat(4998)}${"]".repeat(4998)}\n`],
    ["lists-deep.nix", `${"[".repeat(4999)}${"]".repeat(4999)}\n`],
    ["lambdas-deep.nix", `${"x: ".repeat(4999)}1\n`],
    ["strings-deep.nix", `${'"${'.repeat(4998)}"x"${'}"'.repeat(4998)}\n`],
  ];
  for (const [name, text] of cases) {
    const path = file(name, text);
    const [our, their] = [ours([path]), nix([path])];
    assert.equal(our.status, their.status, name);
    // The excerpt of a 10000-column line is long; the message and position must agree.
    assert.equal(our.stderr.split("\n").slice(0, 3).join("\n"), their.stderr.split("\n").slice(0, 3).join("\n"), name);
    assert.equal(our.stdout, their.stdout, name);
  }
});

test("--json prints the syntax tree; bad usage is refused", () => {
  const json = ours(["--json", "-E", "x: x"]);
  assert.equal(json.status, 0);
  const tree = JSON.parse(json.stdout) as { kind: string; arg: string; body: { kind: string; start: number } };
  assert.deepEqual([tree.kind, tree.arg, tree.body.kind, tree.body.start], ["Lambda", "x", "Var", 3]);
  const usage = ours([]);
  assert.equal(usage.status, 1);
  assert.match(usage.stderr, /^error: expected a FILE or -E EXPR/);
});
