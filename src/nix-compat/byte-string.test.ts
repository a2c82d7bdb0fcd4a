import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../test/support/seeded-random.ts";
import { compareBytes, decodeBytes, encodeBytes } from "./byte-string.ts";

const bytes = (...values: number[]) => Uint8Array.from(values);

test("valid UTF-8 decodes as UTF-8", () => {
  const text = "ascii é € 😀 \u{FFFD} \u{FFFF} \x00\x7f";
  assert.equal(decodeBytes(Buffer.from(text, "utf8")), text);
  assert.deepEqual(encodeBytes(text), Buffer.from(text, "utf8"));
});

test("each byte of ill-formed UTF-8 becomes U+DC80..U+DCFF (Unicode table 3-7)", () => {
  assert.equal(decodeBytes(bytes(0x61, 0xff, 0x62)), "a\udcffb");
  assert.equal(decodeBytes(bytes(0xc0, 0x80)), "\udcc0\udc80"); // overlong NUL
  assert.equal(decodeBytes(bytes(0xe0, 0x80, 0xaf)), "\udce0\udc80\udcaf"); // overlong '/'
  assert.equal(decodeBytes(bytes(0xed, 0xa0, 0x80)), "\udced\udca0\udc80"); // UTF-16 surrogate
  assert.equal(decodeBytes(bytes(0xf4, 0x90, 0x80, 0x80)), "\udcf4\udc90\udc80\udc80"); // above U+10FFFF
  assert.equal(decodeBytes(bytes(0xe2, 0x82)), "\udce2\udc82"); // truncated €
  assert.equal(decodeBytes(bytes(0xe2, 0x82, 0xe2, 0x82, 0xac)), "\udce2\udc82€");
  assert.equal(decodeBytes(bytes(0xf0, 0x9f, 0x98, 0x80, 0x80)), "😀\udc80");
});

test("bytes → string → bytes is the identity on random bytes", () => {
  const random = new SeededRandom(7);
  for (let n = 0; n < 2000; n++) {
    // Mostly high bytes and UTF-8 lead/continuation bytes, so that sequences are often almost valid.
    const input = Uint8Array.from({ length: random.int(0, 12) }, () => random.pick([0x41, 0x80, 0x9f, 0xbf, 0xc2, 0xe2, 0xed, 0xf0, 0xf4, 0xff, random.int(0, 255)]));
    const decoded = decodeBytes(input);
    assert.ok(Buffer.from(input).equals(encodeBytes(decoded)), Buffer.from(input).toString("hex"));
    assert.equal(decodeBytes(encodeBytes(decoded)), decoded);
  }
});

test("a lone surrogate that stands for no byte cannot be encoded", () => {
  assert.throws(() => encodeBytes("a\ud800"), /lone surrogate U\+D800 at index 1/);
  assert.throws(() => encodeBytes("\udc7f"), /lone surrogate U\+DC7F/);
});

test("compareBytes orders as the bytes do (unlike UTF-16 code units)", () => {
  assert.ok(compareBytes("\u{FFFD}", "😀") < 0); // EF BF BD < F0 9F 98 80, though U+FFFD > U+D83D
  assert.ok(compareBytes("😀", "\udcff") < 0); // F0 < FF
  assert.ok(compareBytes("a", "ab") < 0);
  assert.equal(compareBytes("é😀", "é😀"), 0);
  const random = new SeededRandom(11);
  const pieces = ["", "a", "b", "é", "\u{E000}", "\u{FFFD}", "😀", "😁", "\u{10FFFF}", "\udc80", "\udcff", "\x7f"];
  const word = () => Array.from({ length: random.int(0, 4) }, () => random.pick(pieces)).join("");
  for (let n = 0; n < 3000; n++) {
    const [a, b] = [word(), word()];
    assert.equal(Math.sign(compareBytes(a, b)), Buffer.compare(encodeBytes(a), encodeBytes(b)), `${JSON.stringify(a)} ${JSON.stringify(b)}`);
  }
});
