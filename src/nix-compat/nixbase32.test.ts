import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { decode, encode, encodedLength, isNixBase32 } from "./nixbase32.ts";

// sha256("") in nixbase32, as `nix hash file --base32` prints it for an empty file.
const EMPTY_SHA256 = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73";

test("encodes a known digest as Nix does", () => {
  const digest = createHash("sha256").update("").digest();
  assert.equal(encode(digest), EMPTY_SHA256);
  assert.equal(encodedLength(32), 52);
  assert.equal(encodedLength(20), 32);
});

test("decode inverts encode for every length up to 70 bytes", () => {
  for (let length = 0; length <= 70; length++) {
    const bytes = createHash("sha512").update(String(length)).digest().subarray(0, Math.min(length, 64));
    const padded = Buffer.concat([bytes, Buffer.alloc(length - bytes.length, 0xa5)]);
    assert.deepEqual(Buffer.from(decode(encode(padded))), padded);
  }
});

test("rejects characters outside the alphabet", () => {
  for (const bad of ["e", "o", "u", "t", "A", "-", "é"]) {
    assert.throws(() => decode(`${EMPTY_SHA256.slice(0, 51)}${bad}`), /invalid character/);
  }
  assert.equal(isNixBase32("0123456789abcdfghijklmnpqrsvwxyz"), true);
  assert.equal(isNixBase32("e"), false);
});

test("rejects non-zero padding bits", () => {
  // 52 characters carry 260 bits for 256: a leading 'z' sets bits beyond the digest.
  assert.throws(() => decode(`z${EMPTY_SHA256.slice(1)}`), /padding/);
});
