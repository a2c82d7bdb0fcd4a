// Expected strings are what `nix-instantiate --eval` (Nix 2.8) prints for the equivalent
// expression, given in each comment.
import assert from "node:assert/strict";
import { test } from "node:test";
import { NixAttrs } from "../value/attrs.ts";
import { NixFloat } from "../value/float.ts";
import { type LambdaDef, Lambda, PrimOp, PrimOpApp } from "../value/function.ts";
import { NixPath } from "../value/path.ts";
import { ContextString } from "../value/string.ts";
import { Thunk } from "../value/thunk.ts";
import type { EvalState } from "../state.ts";
import type { ForcedValue, Value } from "../value/value.ts";
import { printValue } from "./value.ts";

const lambdaDef: LambdaDef = { name: null, pos: 0, arg: "x", formals: null, ellipsis: false, apply: () => null };
const add = new PrimOp("add", 2, () => null, {} as EvalState);
const evaluated = (v: ForcedValue) => {
  const t = new Thunk(() => v, null);
  t.force();
  return t;
};
const pending = (v: ForcedValue) => new Thunk(() => v, null);
const attrs = (entries: Record<string, Value>) => NixAttrs.of(entries);

test("scalars", () => {
  // { a = 1; b = "x"; c = ./foo; d = 1.5; f = null; g = true; }  (in /tmp)
  const v = attrs({ a: 1, b: "x", c: new NixPath("/tmp/foo"), d: new NixFloat(1.5), f: null, g: true });
  assert.equal(printValue(v), '{ a = 1; b = "x"; c = /tmp/foo; d = 1.5; f = null; g = true; }');
  assert.equal(printValue(-9223372036854775808n), "-9223372036854775808");
  assert.equal(printValue(new ContextString("/nix/store/x", new Set(["/nix/store/x"]))), '"/nix/store/x"');
});

test("string escapes and attribute names", () => {
  // { "a b" = 1; a = "x\${y}\n\t\r\"\\"; }
  assert.equal(printValue(attrs({ "a b": 1, a: 'x${y}\n\t\r"\\' })), '{ a = "x\\${y}\\n\\t\\r\\"\\\\"; "a b" = 1; }');
  // { "$a" = "$"; if = 1; then = 2; "" = 3; "1a" = 4; a'-_1 = 5; }
  assert.equal(printValue(attrs({ $a: "$", if: 1, then: 2, "": 3, "1a": 4, "a'-_1": 5 })), '{ "" = 3; "\\$a" = "$"; "1a" = 4; a\'-_1 = 5; "if" = 1; then = 2; }');
});

test("functions", () => {
  // [ (builtins.add 1) builtins.add (x: x) {} [] ]  --strict
  const v = [new PrimOpApp(add, [1]), add, new Lambda(lambdaDef, null), NixAttrs.EMPTY, []];
  assert.equal(printValue(v), "[ <PRIMOP-APP> <PRIMOP> <LAMBDA> { } [ ] ]");
});

test("unevaluated thunks print as <CODE>", () => {
  // { a = 1 + 1; b = [ (1+1) ]; }  (not --strict)
  assert.equal(printValue(attrs({ a: pending(2), b: pending([pending(2)]) })), "{ a = <CODE>; b = <CODE>; }");
  // let x = 1 + 1; in builtins.seq x [x]
  assert.equal(printValue([evaluated(2)]), "[ 2 ]");
});

test("«repeated» for sets and lists met twice", () => {
  const repeated = "\u00c2\u00abrepeated\u00c2\u00bb";
  // let x = { a = 1; }; in [ x x ]  --strict → [ { a = 1; } «repeated» ]
  const x = evaluated(attrs({ a: 1 }));
  assert.equal(printValue([x, x]), `[ { a = 1; } ${repeated} ]`);
  // let x = [1]; in [ x x (builtins.seq 1 x) ]  --strict → [ [ 1 ] «repeated» [ 1 ] ]
  const small = [1];
  const cell = evaluated(small);
  assert.equal(printValue([cell, cell, evaluated(small)]), `[ [ 1 ] ${repeated} [ 1 ] ]`);
  // let x = [1 2 3]; in [ x x (builtins.seq 1 x) ]  --strict → [ [ 1 2 3 ] «repeated» «repeated» ]
  const big = [1, 2, 3];
  const bigCell = evaluated(big);
  assert.equal(printValue([bigCell, bigCell, evaluated(big)]), `[ [ 1 2 3 ] ${repeated} ${repeated} ]`);
  // Empty sets and lists are never «repeated»: let e = {}; in [ e e ]
  const e = evaluated(NixAttrs.EMPTY);
  assert.equal(printValue([e, e]), "[ { } { } ]");
});

test("attributes print in byte order", () => {
  const attrs = NixAttrs.fromEntries(["b", "B", "\u00e9", "a"], [1, 2, 3, 4]);
  assert.equal(printValue(attrs), '{ B = 2; a = 4; b = 1; "\u00e9" = 3; }');
});
