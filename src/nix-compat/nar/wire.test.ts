import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeTokens, paddingLength, tokenLength } from "./wire.ts";

describe("NAR wire format", () => {
  it("pads to multiples of 8, also beyond 32 bits", () => {
    assert.deepEqual([0, 1, 7, 8, 9, 13, 16].map(paddingLength), [0, 7, 1, 0, 7, 3, 0]);
    assert.equal(paddingLength(2 ** 33 + 3), 5);
    assert.equal(paddingLength(2 ** 40), 0);
    assert.deepEqual([0, 1, 8, 13].map(tokenLength), [8, 16, 16, 24]);
  });

  it("encodes tokens as Tvix's nix-compat spells out the start of every NAR", () => {
    // TOK_NAR in tvix/nix-compat/src/nar/wire/mod.rs.
    const expected = Buffer.from(
      "\x0d\0\0\0\0\0\0\0nix-archive-1\0\0\0\x01\0\0\0\0\0\0\0(\0\0\0\0\0\0\0\x04\0\0\0\0\0\0\0type\0\0\0\0",
      "latin1",
    );
    assert.deepEqual(encodeTokens("nix-archive-1", "(", "type"), expected);
  });

  it("encodes the empty string as eight zero bytes", () => {
    assert.deepEqual(encodeTokens(""), Buffer.alloc(8));
    assert.deepEqual(encodeTokens(new Uint8Array([0xff])), Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0]));
  });
});
