import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { CastoreError } from "../../castore/errors.ts";
import { SeededRandom } from "../../../test/support/seeded-random.ts";
import { chunks, collect } from "../../../test/support/binary-cache.ts";
import { bunzip2 } from "./bzip2.ts";

function bzip2(data: Buffer, level = 9): Buffer {
  return execFileSync("bzip2", [`-${level}`, "-c"], { input: data, maxBuffer: 1 << 28 });
}

/** Text-like data with long runs, short repeats and random stretches: every path of the decoder. */
function sampleData(size: number, seed: number): Buffer {
  const random = new SeededRandom(seed);
  const below = (n: number): number => random.int(0, n - 1);
  const out = Buffer.alloc(size);
  let at = 0;
  while (at < size) {
    const kind = below(4);
    const length = Math.min(1 + below(kind === 0 ? 2000 : 300), size - at);
    if (kind === 0) out.fill(below(256), at, at + length);
    else if (kind === 1) for (let i = 0; i < length; i++) out[at + i] = below(256);
    else if (kind === 2 && at > 1000) {
      const from = at - 1 - below(1000);
      out.copyWithin(at, from, from + length);
    }
    else for (let i = 0; i < length; i++) out[at + i] = 97 + below(6);
    at += length;
  }
  return out;
}

const dataLoss = (message: RegExp) => (err: unknown) => err instanceof CastoreError && err.code === "data-loss" && message.test(err.message);

describe("bzip2 decompression", () => {
  it("reads what bzip2(1) writes: empty, tiny, multi-block, every level, any chunking", async () => {
    const cases: [Buffer, number][] = [
      [Buffer.alloc(0), 9],
      [Buffer.from("a"), 9],
      [Buffer.alloc(70_000, 7), 1],
      [sampleData(350_000, 1), 1],
      [sampleData(1_300_000, 2), 9],
      [sampleData(200_000, 3), 5],
    ];
    for (const [data, level] of cases) {
      const compressed = bzip2(data, level);
      for (const size of [1 << 20, 4093]) {
        const out = await collect(bunzip2(chunks(compressed, size)));
        assert.ok(out.equals(data), `${data.length} bytes at level ${level}, chunks of ${size}`);
      }
    }
  });

  it("reads concatenated streams (pbzip2)", async () => {
    const a = sampleData(150_000, 4);
    const b = Buffer.from("second stream\n");
    assert.ok((await collect(bunzip2(chunks(Buffer.concat([bzip2(a, 1), bzip2(b)]), 65536)))).equals(Buffer.concat([a, b])));
  });

  it("refuses corrupt, truncated and foreign data with a clear error", async () => {
    const data = sampleData(300_000, 5);
    const good = bzip2(data, 1);
    const flipped = Buffer.from(good);
    flipped[good.length >> 1] ^= 0x10;
    await assert.rejects(collect(bunzip2(chunks(flipped, 65536))), dataLoss(/^corrupt bzip2 data: /));
    await assert.rejects(collect(bunzip2(chunks(good.subarray(0, good.length - 100), 65536))), dataLoss(/^corrupt bzip2 data: the data ends in the middle of a block/));
    await assert.rejects(collect(bunzip2(chunks(Buffer.from("not bzip2 at all"), 5))), dataLoss(/no bzip2 stream header/));
    await assert.rejects(collect(bunzip2(chunks(Buffer.alloc(0), 5))), dataLoss(/no bzip2 stream header/));
    const badStreamCrc = Buffer.from(good);
    badStreamCrc[good.length - 2] ^= 1;
    await assert.rejects(collect(bunzip2(chunks(badStreamCrc, 65536))), dataLoss(/stream CRC mismatch|ends in the middle/));
  });
});
