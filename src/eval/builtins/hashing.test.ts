// hashString against Nix 2.8 (`nix-instantiate --eval --strict`).
import assert from "node:assert/strict";
import { test } from "node:test";
import { EvalError } from "../errors.ts";
import { LocalIO } from "../local-io.ts";
import { EvalState } from "../state.ts";

const state = new EvalState({ io: new LocalIO() });

test("hashString gives base-16 digests of the bytes", () => {
  assert.equal(state.evalText('builtins.hashString "sha256" "abc"', "/"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(state.evalText('builtins.hashString "md5" ""', "/"), "d41d8cd98f00b204e9800998ecf8427e");
  assert.equal(state.evalText('builtins.hashString "sha1" "x"', "/"), "11f6ad8ec52a2984abaafd7c3b516503785c2072");
});

test("an unknown algorithm is an error", () => {
  assert.throws(() => state.evalText('builtins.hashString "SHA256" "x"', "/"), (err: unknown) => err instanceof EvalError && err.message === "unknown hash algorithm 'SHA256'");
});
