// Variable resolution against Nix 2.8: undefined variables are parse errors (message and
// position from real Nix 2.8.0), and each variable is tied to the binding Nix would use (the
// value real Nix 2.8 evaluates the expression to is given with each case).
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertParseResults, TEST_FILE } from "../../../test/support/parse.ts";
import { addSource } from "../position.ts";
import type { Expr, VarExpr } from "./ast.ts";
import { NIX_GLOBAL_NAMES } from "./global-names.ts";
import { parseNix } from "./parse.ts";

const SCOPES: [string, string][] = [
  ["x: y", "error: undefined variable 'y' @1:4"],
  ["x: { a = y; }", "error: undefined variable 'y' @1:10"],
  ["rec { a = b; }", "error: undefined variable 'b' @1:11"],
  ["let a = b; in a", "error: undefined variable 'b' @1:9"],
  ["{ inherit y; }", "error: undefined variable 'y' @1:2"],
  ["x: with x; y", "(x: (with x; y))"],
  ["let x = 1; in with x; y", "(let x = 1; in (with x; y))"],
  ["__curPos", "__curPos"],
  ["<nixpkgs>", "(__findFile __nixPath \"nixpkgs\")"],
];

test("undefined variables are errors unless a `with` may define them", () => {
  assertParseResults(SCOPES);
});

/** Every variable of `e` in source order, as name:resolution. */
function resolutions(text: string): string[] {
  const out: [number, string][] = [];
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(visit);
    const v = node as VarExpr;
    if (v.kind === "Var" && v.pos !== 0) out.push([v.start, `${v.name}:${v.fromWith ? "with" : "lexical"}@${v.level}${v.fromWith ? "" : `/${v.index}`}`]);
    for (const [key, value] of Object.entries(node)) if (key !== "kind") visit(value);
  };
  visit(parseNix(addSource(TEST_FILE, text)) as Expr);
  return [...new Map(out.sort((a, b) => a[0] - b[0])).values()];
}

test("a lexical binding wins over any `with`", () => {
  // Nix 2.8 evaluates this to 1.
  assert.deepEqual(resolutions("let a = 1; in with { a = 2; }; a"), ["a:lexical@1/0"]);
  // Nix 2.8: true (globals are lexical too).
  const global = (name: string) => `${name}:lexical@1/${NIX_GLOBAL_NAMES.indexOf(name)}`;
  assert.deepEqual(resolutions("with { true = false; }; true"), [global("false").replace("@1/", "@0/"), global("true")]);
});

test("a variable from `with` is looked up in the innermost one", () => {
  // Nix 2.8 evaluates this to 1: the inner `with` lacks `a`, so the outer one is used at run time.
  assert.deepEqual(resolutions("with { a = 1; }; with { b = 2; }; a"), ["a:with@0"]);
});

test("rec sets and lets bind their attributes; `inherit x` reads outside, `inherit (e) x` inside", () => {
  // Nix 2.8: 2.
  assert.deepEqual(resolutions("let a = 1; in rec { a = 2; b = a; }.b"), ["a:lexical@0/0"]);
  // Nix 2.8: 1 (`inherit a` in the inner let is the outer a, seen from outside the inner let).
  assert.deepEqual(resolutions("let a = 1; in let inherit a; b = a; in b"), ["a:lexical@0/0", "a:lexical@0/0", "b:lexical@0/1"]);
  // Nix 2.8: 7 (`x` in `inherit (x)` is the rec set's own x).
  assert.deepEqual(resolutions("rec { x = { a = 7; }; inherit (x) a; }.a"), ["x:lexical@0/0"]);
});

test("formal defaults see all formals and the @-name", () => {
  // Nix 2.8: 3.
  assert.deepEqual(resolutions("({ a ? b, b ? 3 }: a) {}"), ["b:lexical@0/1", "a:lexical@0/0"]);
  assert.deepEqual(resolutions("args @ { a ? args }: a"), ["args:lexical@0/0", "a:lexical@0/1"]);
});

test("`with` records how far up the enclosing `with` is", () => {
  const e = parseNix(addSource(TEST_FILE, "with {}; x: with {}; y: with {}; 1"));
  const prevWiths: number[] = [];
  for (let node: Expr = e; ; ) {
    if (node.kind === "With") {
      prevWiths.push(node.prevWith);
      node = node.body;
    } else if (node.kind === "Lambda") node = node.body;
    else break;
  }
  assert.deepEqual(prevWiths, [0, 2, 2]);
});
