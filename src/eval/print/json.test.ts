// Expected JSON is what `nix-instantiate --eval --json --strict` (Nix 2.8) prints for the
// equivalent expression, given in each comment.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EvalError } from "../errors.ts";
import type { EvalIO } from "../io.ts";
import { EvalState } from "../state.ts";
import { NixAttrs } from "../value/attrs.ts";
import { NixFloat } from "../value/float.ts";
import { type LambdaDef, Lambda } from "../value/function.ts";
import { NixPath } from "../value/path.ts";
import { ContextString } from "../value/string.ts";
import { Thunk } from "../value/thunk.ts";
import { valueToJson } from "./json.ts";

const io = { storeDir: "/nix/store", importPath: (path: string) => `/nix/store/hash-${path.slice(path.lastIndexOf("/") + 1)}` };
const state = new EvalState({ io: io as unknown as EvalIO });
const json = (v: Parameters<typeof valueToJson>[1], strict = true, context = new Set<string>()) => valueToJson(state, v, strict, context);

test("scalars, escapes, __toString and outPath", () => {
  // { a = [ 1 2.5 "q\"\\\n\r\t" null true ]; b = { __toString = self: "ts"; }; c = { outPath = "/out"; x = 1; }; d = 16.03125; }
  const toString = new Lambda({ name: null, pos: 0, arg: "self", formals: null, ellipsis: false, apply: () => "ts" } satisfies LambdaDef, null);
  const v = NixAttrs.of({
    a: [1, new NixFloat(2.5), 'q"\\\n\r\t', null, true],
    b: NixAttrs.of({ __toString: toString }),
    c: NixAttrs.of({ outPath: "/out", x: 1 }),
    d: new NixFloat(16.03125),
  });
  assert.equal(json(v), '{"a":[1,2.5,"q\\"\\\\\\n\\r\\t",null,true],"b":"ts","c":"/out","d":16.0312}');
  // Control characters as \u00XX, bytes ≥ 0x80 unchanged: builtins.toJSON "\x01é" (é as UTF-8)
  assert.equal(json("\x01\xc3\xa9\x7f"), '"\\u0001\xc3\xa9\x7f"');
  assert.equal(json(-9223372036854775808n), "-9223372036854775808");
});

test("paths are copied to the store and contexts are collected", () => {
  const context = new Set<string>();
  const text = json([new NixPath("/tmp/x"), new ContextString("/nix/store/abc-d", new Set(["=/nix/store/abc-d.drv"]))], true, context);
  assert.equal(text, '["/nix/store/hash-x","/nix/store/abc-d"]');
  assert.deepEqual([...context].sort(), ["/nix/store/hash-x", "=/nix/store/abc-d.drv"]);
});

test("functions and (without strictness) thunks cannot be converted", () => {
  const fn = new Lambda({ name: null, pos: 0, arg: "x", formals: null, ellipsis: false, apply: () => null }, null);
  assert.throws(() => json([fn]), (e: unknown) => e instanceof EvalError && e.message === "cannot convert a function to JSON");
  // nix-instantiate --eval --json -E '[ (1 + 1) ]' → error: cannot convert a thunk to JSON
  assert.throws(() => json([new Thunk(() => 2, null)], false), /cannot convert a thunk to JSON/);
  assert.equal(json([new Thunk(() => 2, null)], true), "[2]");
});
