import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hashBytes } from "../hash.ts";
import { NixCompatError } from "../errors.ts";
import { SLOT_SIZE, WorkerSink } from "./worker-sink.ts";

/** Deterministic bytes that differ from one offset to the next. */
function pattern(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed + (i >> 16)) & 0xff;
  return out;
}

/**
 * Feeds `parts` through the sink as a producer would: bytes into ring buffers (split at `chunk`),
 * files offered after the data before them. Returns what the sink must have consumed.
 */
function feed(sink: WorkerSink, parts: (Buffer | { file: string })[], chunk: number): Buffer {
  const expected: Buffer[] = [];
  let buffer = sink.nextBuffer();
  let length = 0;
  const flush = (): void => {
    sink.update(buffer.subarray(0, length));
    buffer = sink.nextBuffer();
    length = 0;
  };
  const copyIn = (bytes: Buffer): void => {
    for (let at = 0; at < bytes.length; ) {
      if (length === chunk) flush();
      const n = Math.min(chunk - length, bytes.length - at);
      bytes.copy(buffer, length, at, at + n);
      length += n;
      at += n;
    }
    expected.push(bytes);
  };
  for (const part of parts) {
    if (Buffer.isBuffer(part)) {
      copyIn(part);
      continue;
    }
    const contents = readFileSync(part.file);
    const fd = openSync(part.file, "r");
    if (sink.takeFile(fd, contents.length, Buffer.from(part.file))) {
      flush();
      expected.push(contents);
    } else {
      closeSync(fd);
      copyIn(contents);
    }
  }
  sink.update(buffer.subarray(0, length));
  return Buffer.concat(expected);
}

describe("WorkerSink", () => {
  let work: string;
  before(() => (work = mkdtempSync(join(tmpdir(), "tvix-worker-sink-"))));
  after(() => rmSync(work, { recursive: true, force: true }));

  it("hashes like a plain hasher, on the spot for small inputs and on the worker for large ones", () => {
    for (const [total, chunk] of [[0, 1], [100, 100], [3 * SLOT_SIZE, SLOT_SIZE], [40 * SLOT_SIZE + 5, SLOT_SIZE], [17 * SLOT_SIZE, 4096]]) {
      for (const algo of ["sha256", "sha512"] as const) {
        const sink = new WorkerSink({ hash: algo });
        const bytes = feed(sink, [pattern(total, 1)], chunk);
        assert.equal(Buffer.from(sink.finish()!).toString("hex"), hashBytes(algo, bytes).encode("base16"), `${total} bytes in chunks of ${chunk}`);
        assert.equal(sink.size, total);
      }
    }
  });

  it("writes to a descriptor in order, copying the large files handed to it", () => {
    const big = join(work, "big");
    writeFileSync(big, pattern(3 * SLOT_SIZE + 11, 2));
    const small = join(work, "small");
    writeFileSync(small, pattern(1000, 3));
    for (const parts of [[pattern(10, 4)], [pattern(5, 5), { file: big }, pattern(7, 6), { file: small }, { file: big }, pattern(40 * SLOT_SIZE, 7)]]) {
      const out = join(work, "out");
      const fd = openSync(out, "w");
      const sink = new WorkerSink({ fd });
      const expected = feed(sink, parts, SLOT_SIZE);
      sink.finish();
      closeSync(fd);
      assert.ok(readFileSync(out).equals(expected));
      assert.equal(sink.size, expected.length);
    }
  });

  it("reports a handed-over file that shrank, naming it", () => {
    const file = join(work, "shrinking");
    writeFileSync(file, pattern(SLOT_SIZE, 8));
    const fd = openSync(join(work, "out-shrank"), "w");
    const sink = new WorkerSink({ fd });
    const buffer = sink.nextBuffer();
    // It claims twice the size the file has.
    assert.ok(sink.takeFile(openSync(file, "r"), 2 * SLOT_SIZE, Buffer.from(file)));
    sink.update(buffer.subarray(0, 0));
    assert.throws(() => sink.finish(), (err: Error) => err instanceof NixCompatError && err.message === `file '${file}' shrank while being archived`);
    closeSync(fd);
  });

  it("takes chunks only from the ring, in order", () => {
    const sink = new WorkerSink({ hash: "sha256" });
    const first = sink.nextBuffer();
    sink.nextBuffer();
    assert.throws(() => sink.update(Buffer.alloc(10)), /not the next ring buffer/);
    sink.update(first.subarray(0, 10));
    assert.throws(() => sink.update(first.subarray(0, 10)), /not the next ring buffer/);
  });
});
