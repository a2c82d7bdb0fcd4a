import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../../test/support/seeded-random.ts";
import { FastCdc } from "./fastcdc.ts";

function chunkLengths(chunker: FastCdc, data: Uint8Array): number[] {
  const lengths: number[] = [];
  for (let offset = 0; offset < data.length; ) {
    const length = chunker.cut(data.subarray(offset));
    lengths.push(length);
    offset += length;
  }
  return lengths;
}

function randomBytes(seed: number, length: number): Uint8Array {
  const random = new SeededRandom(seed);
  return Uint8Array.from({ length }, () => random.int(0, 255));
}

test("all zeros cut at the maximum with the fastcdc crate's v2020 hash", () => {
  // The crate's own test (test_cut_all_zeros): the hash checks the 64-bit gear arithmetic.
  const chunker = new FastCdc({ min: 64, avg: 256, max: 1024 });
  const data = new Uint8Array(10240);
  assert.deepEqual(chunkLengths(chunker, data), Array(10).fill(1024));
  chunker.cut(data);
  assert.equal(chunker.lastHash, 14169102344523991076n);
});

test("chunk sizes stay within min and max and cut points depend on the content only", () => {
  const chunker = new FastCdc({ min: 2048, avg: 8192, max: 32768 });
  const data = randomBytes(1, 1 << 20);
  const lengths = chunkLengths(chunker, data);
  for (const length of lengths.slice(0, -1)) assert.ok(length >= 2048 && length <= 32768, `length ${length}`);
  const average = data.length / lengths.length;
  assert.ok(average > 4096 && average < 16384, `average ${average}`);
  // Only the first max bytes decide the cut: more data behind does not move it.
  let offset = 0;
  for (const length of lengths.slice(0, -1)) {
    assert.equal(chunker.cut(data.subarray(offset, offset + 32768)), length);
    offset += length;
  }
  // Removing bytes at the start changes only the first chunks.
  const tail = chunkLengths(chunker, data.subarray(5000));
  assert.deepEqual(tail.slice(-lengths.length + 3), lengths.slice(3));
});

test("sizes outside the algorithm's limits are refused", () => {
  assert.throws(() => new FastCdc({ min: 63, avg: 256, max: 1024 }), /min chunk size 63/);
  assert.throws(() => new FastCdc({ min: 64, avg: 1 << 23, max: 1 << 24 }), /avg chunk size/);
  assert.throws(() => new FastCdc({ min: 64, avg: 256, max: 1.5 }), /max chunk size/);
});
