import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../test/support/seeded-random.ts";
import { bytesToUtf8, compareBytes, decodeBytes, encodeBytes, utf8ToBytes } from "./byte-string.ts";

test("bytes → byte string → bytes is the identity on random bytes", () => {
  const random = new SeededRandom(7);
  for (let n = 0; n < 2000; n++) {
    const input = Buffer.from(Array.from({ length: random.int(0, 12) }, () => random.int(0, 255)));
    const decoded = decodeBytes(input);
    assert.equal(decoded.length, input.length);
    assert.ok(input.equals(encodeBytes(decoded)), input.toString("hex"));
  }
});

test("text converts to and from its UTF-8 bytes", () => {
  const text = "ascii é € 😀 \u{FFFD}";
  const bytes = utf8ToBytes(text);
  assert.equal(bytes.length, Buffer.byteLength(text, "utf8"));
  assert.equal(bytesToUtf8(bytes), text);
  assert.equal(bytesToUtf8("a\xffb"), "a\u{FFFD}b");
});

test("a char that is not a byte cannot be encoded", () => {
  assert.throws(() => encodeBytes("a€"), /U\+20AC at index 1 is not a byte/);
});

test("compareBytes orders as the bytes do", () => {
  const random = new SeededRandom(11);
  const pieces = ["", "a", "b", utf8ToBytes("é"), utf8ToBytes("\u{FFFD}"), utf8ToBytes("😀"), "\x80", "\xff", "\x7f", "\x00"];
  const word = () => Array.from({ length: random.int(0, 4) }, () => random.pick(pieces)).join("");
  for (let n = 0; n < 3000; n++) {
    const [a, b] = [word(), word()];
    assert.equal(Math.sign(compareBytes(a, b)), Buffer.compare(encodeBytes(a), encodeBytes(b)), `${JSON.stringify(a)} ${JSON.stringify(b)}`);
  }
});
