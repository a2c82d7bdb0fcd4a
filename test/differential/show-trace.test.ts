// `tvix eval --show-trace` against `nix-instantiate --eval --show-trace`: failing programs
// (errors in functions of other files, called directly, by builtins and through lazy
// applications; addErrorContext, assert, throw, abort, type errors deep in let/with, missing
// attributes behind selections, bad arguments, toJSON of functions) give Nix's complete
// stderr, frame for frame, and its exit code; and without --show-trace, Nix's report.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";

const TVIX = fileURLToPath(new URL("../../bin/tvix.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tvix-show-trace-"));

const LIB = `{
  inc = x: x + 1;
  needsAttr = y: builtins.addErrorContext "while doing needsAttr" y.missing;
  positive = z: assert z > 0; z;
  fail = msg: throw msg;
  deep = let a = { b = 1; }; in with a; n: let m = n + b; in m + "x";
  chain = s: s.a.b.c;
}
`;

const MAIN = `let lib = import ./lib.nix; in
{
  viaFile = lib.inc "s";
  viaMap = builtins.map lib.inc [ "a" ];
}
`;

/** One failing attribute only: which of several fails first under --strict is a known difference. */
const NESTED = `{ ok = 1; nested = { inner = (import ./lib.nix).deep 1; }; }
`;

const PROGRAMS: [string, string[]][] = [
  ["function in another file", ["-E", `let lib = import ./lib.nix; in lib.inc "s"`]],
  ["addErrorContext", ["-E", `let lib = import ./lib.nix; in lib.needsAttr { }`]],
  ["assert", ["-E", `let lib = import ./lib.nix; in lib.positive 0`]],
  ["throw in a function", ["-E", `let lib = import ./lib.nix; in lib.fail "boom"`]],
  ["throw at the top", ["-E", `throw "top"`]],
  ["abort", ["-E", `let f = x: abort "no \${x}"; in f "way"`]],
  ["type error deep in let and with", ["-E", `let lib = import ./lib.nix; in lib.deep 1`]],
  ["selection of an attribute that is not a set", ["-E", `let lib = import ./lib.nix; in lib.chain { a.b = 1; }`]],
  ["missing attribute behind a dynamic name", ["-E", `let a = { \${"b"} = { }; }; n = "b"; in a.\${n}.c`]],
  ["function called by a strict builtin", ["-E", `builtins.foldl' (a: b: a + b) 0 [ 1 "x" ]`]],
  ["function called lazily by map", ["--strict", "-E", `builtins.map (x: x + 1) [ "a" ]`]],
  ["missing function argument", ["-E", `let f = { a }: a; in f { b = 1; }`]],
  ["missing argument in a lazy call", ["--strict", "-E", `let f = { a }: a; in map f [ { } ]`]],
  ["toJSON of a function", ["-E", `builtins.toJSON { a = [ (x: x) ]; }`]],
  ["functor", ["-E", `let s = { __functor = self: x: x.y; }; in s 1`]],
  ["attribute of a file", ["main.nix", "-A", "viaFile"]],
  ["map in a file, strict", ["--strict", "main.nix", "-A", "viaMap"]],
  ["nested attribute of a file, strict", ["--strict", "nested.nix"]],
];

function run(command: string, args: string[]): { stderr: string; status: number | null } {
  const result = spawnSync(command, args, { cwd: dir, encoding: "latin1", env: { ...process.env, NIX_PATH: "" }, timeout: 60_000, killSignal: "SIGKILL" });
  return { stderr: result.stderr, status: result.status };
}

/**
 * Without --show-trace Nix hints at it when the error has trace frames. Ours collects the
 * frames of attribute selections only with --show-trace (catching at every selection costs),
 * so it gives the hint less often; the rest of the report must be Nix's.
 */
function withoutHint(stderr: string): string {
  return stderr.replace("(use '--show-trace' to show detailed location information)\n", "");
}

describe("--show-trace against Nix 2.8", () => {
  before(() => {
    writeFileSync(join(dir, "lib.nix"), LIB);
    writeFileSync(join(dir, "main.nix"), MAIN);
    writeFileSync(join(dir, "nested.nix"), NESTED);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const showTrace of [true, false]) {
    it(`prints Nix's report ${showTrace ? "with" : "without"} --show-trace`, () => {
      for (const [name, args] of PROGRAMS) {
        const flags = showTrace ? ["--show-trace", ...args] : args;
        const nix = run("nix-instantiate", ["--eval", ...flags]);
        assert.notEqual(nix.status, 0, `${name}: Nix succeeded`);
        const ours = run(process.execPath, [TVIX, "eval", ...flags]);
        assert.equal(showTrace ? ours.stderr : withoutHint(ours.stderr), showTrace ? nix.stderr : withoutHint(nix.stderr), name);
        assert.equal(ours.status, nix.status, name);
      }
    });
  }
});
