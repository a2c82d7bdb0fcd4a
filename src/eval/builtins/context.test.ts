// String contexts as Nix 2.8 shows and builds them (expected values from
// `nix-instantiate --eval --strict`; store paths only need to be well-formed).
import assert from "node:assert/strict";
import { test } from "node:test";
import { testEvaluator } from "../../../test/support/eval.ts";

const DRV = "/nix/store/0000000000000000000000000000000a-x.drv";
const PATH = "/nix/store/1111111111111111111111111111111b-y";
const PRELUDE = `let s = builtins.appendContext "text" { "${DRV}" = { outputs = [ "out" "dev" ]; allOutputs = true; }; "${PATH}" = { path = true; }; }; in`;
const BOTH = `{ "${DRV}" = { allOutputs = true; outputs = [ "dev" "out" ]; }; "${PATH}" = { path = true; }; }`;

const { ev, error } = testEvaluator(PRELUDE);

test("getContext groups the entries by store path, outputs in name order", () => {
  assert.equal(ev("builtins.getContext s"), BOTH);
  assert.equal(ev('builtins.getContext (builtins.appendContext "y" { "' + PATH + '" = { path = false; outputs = []; }; })'), "{ }");
});

test("hasContext, unsafeDiscardStringContext, unsafeDiscardOutputDependency", () => {
  assert.equal(ev('[ (builtins.hasContext s) (builtins.hasContext "x") (builtins.unsafeDiscardStringContext s) (builtins.hasContext (builtins.unsafeDiscardStringContext s)) ]'), '[ true false "text" false ]');
  assert.equal(ev("builtins.getContext (builtins.unsafeDiscardOutputDependency s)"), `{ "${DRV}" = { outputs = [ "dev" "out" ]; path = true; }; "${PATH}" = { path = true; }; }`);
});

test("string operations keep the context, even of an empty result; replacements add theirs only when used", () => {
  for (const expr of ["builtins.substring 0 0 s", 'builtins.concatStringsSep s ["a" "b"]', 'builtins.replaceStrings ["b"] [s] "abc"', "baseNameOf s", "builtins.toJSON [s]"]) {
    assert.equal(ev(`builtins.getContext (${expr})`), BOTH, expr);
  }
  assert.equal(ev('builtins.getContext (builtins.replaceStrings ["x"] [s] "abc")'), "{ }");
});

test("appendContext checks its keys and what they may carry", () => {
  assert.equal(error('builtins.appendContext "x" { "/tmp/x" = {}; }'), `Context key '"/tmp/x"' is not a store path`);
  assert.equal(error(`builtins.appendContext "x" { "${PATH}" = { allOutputs = true; }; }`), `Tried to add all-outputs context of "${PATH}", which is not a derivation, to a string`);
  assert.equal(error(`builtins.appendContext "x" { "${PATH}" = { outputs = ["out"]; }; }`), `Tried to add derivation output context of "${PATH}", which is not a derivation, to a string`);
  assert.equal(error(`builtins.appendContext "x" { "${PATH}" = { path = 1; }; }`), "value is an integer while a Boolean was expected");
});
