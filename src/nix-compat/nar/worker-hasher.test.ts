import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashBytes } from "../hash.ts";
import { SLOT_SIZE, WorkerHasher } from "./worker-hasher.ts";

/** Feeds `total` bytes through the ring in chunks of `chunk` bytes; returns the bytes fed. */
function feed(hasher: WorkerHasher, total: number, chunk: number): Buffer {
  const fed: Buffer[] = [];
  for (let done = 0; done < total; ) {
    const buffer = hasher.nextBuffer();
    const length = Math.min(chunk, total - done);
    for (let i = 0; i < length; i++) buffer[i] = (done + i) * 7 + (done >> 20);
    fed.push(Buffer.from(buffer.subarray(0, length)));
    hasher.update(buffer.subarray(0, length));
    done += length;
  }
  return Buffer.concat(fed);
}

describe("WorkerHasher", () => {
  it("hashes like a plain hasher, inline for small inputs and on the worker for large ones", () => {
    for (const [total, chunk] of [[0, 1], [100, 100], [3 * SLOT_SIZE, SLOT_SIZE], [20 * SLOT_SIZE + 5, SLOT_SIZE], [9 * SLOT_SIZE, 4096]]) {
      for (const algo of ["sha256", "sha512"] as const) {
        const hasher = new WorkerHasher(algo);
        const bytes = feed(hasher, total, chunk);
        assert.equal(hasher.finish().encode("base16"), hashBytes(algo, bytes).encode("base16"), `${total} bytes in chunks of ${chunk}`);
      }
    }
  });

  it("takes chunks only from the ring, in order", () => {
    const hasher = new WorkerHasher("sha256");
    const first = hasher.nextBuffer();
    hasher.nextBuffer();
    assert.throws(() => hasher.update(Buffer.alloc(10)), /not the next ring buffer/);
    hasher.update(first.subarray(0, 10));
    assert.throws(() => hasher.update(first.subarray(0, 10)), /not the next ring buffer/);
  });

  it("can be abandoned with the worker running", () => {
    const hasher = new WorkerHasher("sha256");
    feed(hasher, 12 * SLOT_SIZE, SLOT_SIZE);
    hasher.abort();
  });
});
