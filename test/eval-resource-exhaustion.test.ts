// Running out of stack or memory in `tvix eval` ends with Nix's own one-line errors, never a
// JavaScript stack trace or an internal error (src/eval/resource-exhaustion.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const TVIX = fileURLToPath(new URL("../bin/tvix.js", import.meta.url));

function evalExpr(expr: string, env: NodeJS.ProcessEnv = process.env): { status: number | null; stderr: string } {
  const { status, stderr } = spawnSync(process.execPath, [TVIX, "eval", "--strict", "-E", expr], { encoding: "utf8", env });
  return { status, stderr };
}

test("an endless recursion overflows the stack: Nix's stack overflow error", () => {
  assert.deepEqual(evalExpr("let f = x: 1 + f x; in f 1"), { status: 1, stderr: "error: stack overflow (possible infinite recursion)\n" });
});

test("a string beyond JavaScript's length limit: Nix's out of memory error", () => {
  const doubling = 'let s = n: if n == 0 then "x" else let t = s (n - 1); in t + t; in builtins.stringLength (s 30)';
  assert.deepEqual(evalExpr(doubling), { status: 1, stderr: "error: out of memory\n" });
});

test("the evaluation worker reaching its heap limit: Nix's out of memory error", () => {
  const env = { ...process.env, NODE_OPTIONS: "--max-old-space-size=64" };
  assert.deepEqual(evalExpr("builtins.length (builtins.genList (x: [ x x ]) 100000000)", env), { status: 1, stderr: "error: out of memory\n" });
});
