import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { CastoreError } from "../../castore/errors.ts";
import { chunks, collect } from "../../../test/support/binary-cache.ts";
import { SERVE_COMPRESSIONS, checkCompression, compress, compressionOfNarName, decompress, narExtension } from "./compression.ts";

// Compressible and incompressible parts, several MiB: more than any stream buffer.
const DATA = Buffer.concat([Buffer.alloc(3 << 20, "nix-archive-1 "), randomBytes(1 << 20)]);

/** The command-line tool that reads each compression, as an independent oracle. */
const TOOLS: Record<string, string[]> = { xz: ["xz", "-dc"], zstd: ["zstd", "-dc"], br: [] };

describe("binary cache compression", () => {
  for (const compression of SERVE_COMPRESSIONS) {
    it(`${compression}: round trip with backpressure, readable by the reference tool`, async () => {
      const compressed = await collect(compress(compression, chunks(DATA, 100_000)));
      if (compression === "none") assert.ok(compressed.equals(DATA));
      else assert.ok(compressed.length < DATA.length * 0.5, `${compression} did not compress: ${compressed.length}`);
      assert.ok((await collect(decompress(compression, chunks(compressed, 4096)))).equals(DATA));
      const tool = TOOLS[compression];
      if (tool?.length) assert.ok(execFileSync(tool[0], tool.slice(1), { input: compressed, maxBuffer: 1 << 26 }).equals(DATA));
    });
  }

  it("reads what xz(1) and zstd(1) wrote at their default levels", async () => {
    for (const [compression, tool] of [["xz", "xz"], ["zstd", "zstd"]] as const) {
      const file = execFileSync(tool, ["-c"], { input: DATA, maxBuffer: 1 << 26 });
      assert.ok((await collect(decompress(compression, chunks(file, 65536)))).equals(DATA), compression);
    }
  });

  // Brotli has no checksum: corrupt brotli may decode to other bytes, which the NAR hash catches.
  for (const compression of ["xz", "zstd", "br"] as const) {
    it(`${compression}: corrupt or truncated input is a data-loss error naming the compression`, async () => {
      const good = await collect(compress(compression, chunks(DATA, 1 << 20)));
      const corrupt = Buffer.from(good);
      corrupt.fill(0x55, 100, 400);
      for (const bad of compression === "br" ? [good.subarray(0, good.length >> 1)] : [corrupt, good.subarray(0, good.length >> 1)]) {
        await assert.rejects(collect(decompress(compression, chunks(bad, 8192))), (err: unknown) => {
          assert.ok(err instanceof CastoreError, String(err));
          assert.equal(err.code, "data-loss");
          assert.match(err.message, new RegExp(`^corrupt ${compression} data: `));
          return true;
        });
      }
    });
  }

  it("passes the source's own errors through unchanged", async () => {
    const failure = new CastoreError("unavailable", "connection reset");
    async function* failing(): AsyncIterable<Uint8Array> {
      yield DATA.subarray(0, 1000);
      throw failure;
    }
    await assert.rejects(collect(compress("xz", failing())), (err) => err === failure);
    const xz = await collect(compress("xz", chunks(DATA, 1 << 20)));
    async function* failingXz(): AsyncIterable<Uint8Array> {
      yield xz.subarray(0, 1000);
      throw failure;
    }
    await assert.rejects(collect(decompress("xz", failingXz())), (err) => err === failure);
  });

  it("a consumer that stops early stops the source", async () => {
    let finished = false;
    async function* endless(): AsyncIterable<Uint8Array> {
      try {
        for (;;) yield randomBytes(65536);
      } finally {
        finished = true;
      }
    }
    for await (const chunk of compress("zstd", endless())) {
      assert.ok(chunk.length > 0);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(finished, true);
  });

  it("names and extensions as Nix uses them", () => {
    assert.equal(narExtension("xz"), ".xz");
    assert.equal(narExtension("zstd"), ".zst");
    assert.equal(narExtension("none"), "");
    assert.equal(compressionOfNarName("nar/abc.nar.xz"), "xz");
    assert.equal(compressionOfNarName("nar/abc.nar.zst"), "zstd");
    assert.equal(compressionOfNarName("nar/abc.nar.bz2"), "bzip2");
    assert.equal(compressionOfNarName("nar/abc.nar"), "none");
    assert.equal(compressionOfNarName("nar/abc.nar.gz"), undefined);
    assert.equal(compressionOfNarName("nar/abc.narinfo"), undefined);
    assert.throws(() => checkCompression("lz4"), /unsupported NAR compression 'lz4'/);
  });
});
