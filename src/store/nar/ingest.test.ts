import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { BlobWriter } from "../../castore/blob-service.ts";
import { Blake3Hasher } from "../../castore/digest.ts";
import type { Directory } from "../../castore/directory.ts";
import type { DirectoryPutter } from "../../castore/directory-service.ts";
import { ingestPath } from "../../castore/fs/ingest.ts";
import { MemoryBlobService } from "../../castore/memory/blob-service.ts";
import { MemoryDirectoryService } from "../../castore/memory/directory-service.ts";
import type { Node } from "../../castore/node.ts";
import { hashBytes } from "../../nix-compat/hash.ts";
import { NarReader } from "../../nix-compat/nar/reader.ts";
import { encodeTokens } from "../../nix-compat/nar/wire.ts";
import { createSampleTree, narBytes } from "../../../test/support/nar.ts";
import { createRandomTree } from "../../../test/support/random-tree.ts";
import { ingestNar } from "./ingest.ts";
import { renderNar } from "./render.ts";

/** A memory DirectoryService that counts the trees it was asked to store. */
class CountingDirectoryService extends MemoryDirectoryService {
  puts = 0;
  override putMultiple(): DirectoryPutter {
    this.puts++;
    return super.putMultiple();
  }
}

/** A memory BlobService whose writes first wait for `beforeWrite`; `onOpen` follows open writers. */
class GatedBlobService extends MemoryBlobService {
  onOpen: (delta: number) => void = () => {};
  private readonly beforeWrite: () => Promise<void>;

  constructor(beforeWrite: () => Promise<void>) {
    super();
    this.beforeWrite = beforeWrite;
  }

  override openWrite(): BlobWriter {
    const writer = super.openWrite();
    this.onOpen(1);
    return {
      write: async (chunk) => {
        await this.beforeWrite();
        await writer.write(chunk);
      },
      close: async () => {
        this.onOpen(-1);
        return writer.close();
      },
      abort: async () => {
        this.onOpen(-1);
        return writer.abort();
      },
    };
  }
}

async function* chunked(nar: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let at = 0; at < nar.length; at += size) yield nar.subarray(at, at + size);
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The reader's own verdict on `nar`, to compare messages with. */
function readerError(nar: Buffer): string {
  const reader = new NarReader({ directory() {}, entry() {}, directoryEnd() {}, file() {}, contents() {}, fileEnd() {}, symlink() {} });
  try {
    reader.push(nar);
    reader.end();
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail("the reader accepted the NAR");
}

describe("ingestNar", () => {
  let work: string;
  let tree: string;
  let nar: Buffer;
  /** The tree's directories as ingestPath stores them. */
  let expected: { node: Node; directories: Directory[] };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "tvix-ingest-nar-"));
    tree = join(work, "tree");
    createRandomTree(tree, { seed: 11, entries: 80 });
    mkdirSync(join(tree, "sample-root"));
    createSampleTree(join(tree, "sample-root/sample"));
    nar = narBytes(tree);
    const directories = new MemoryDirectoryService();
    const node = await ingestPath(tree, new MemoryBlobService(), directories);
    assert.equal(node.kind, "directory");
    const all: Directory[] = [];
    for await (const directory of directories.getRecursive(node.digest)) all.push(directory);
    expected = { node, directories: all };
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("stores what ingestPath stores for the same tree, and renders back byte for byte", async () => {
    for (const size of [7, 8, 4096, 1 << 20, nar.length]) {
      const blobs = new MemoryBlobService();
      const directories = new MemoryDirectoryService();
      const result = await ingestNar(chunked(nar, size), blobs, directories);
      assert.deepEqual(result.node, expected.node, `chunks of ${size}`);
      assert.equal(result.narSize, nar.length);
      assert.deepEqual(Buffer.from(result.narSha256), hashBytes("sha256", nar).digest);
      assert.ok((await collect(renderNar(result.node, blobs, directories))).equals(nar));
    }
    // Byte by byte, on a smaller NAR.
    const sample = narBytes(join(tree, "sample-root"));
    const blobs = new MemoryBlobService();
    const directories = new MemoryDirectoryService();
    const result = await ingestNar(chunked(sample, 1), blobs, directories);
    assert.ok((await collect(renderNar(result.node, blobs, directories))).equals(sample));
  });

  it("gives a lone file or symlink as the root node", async () => {
    writeFileSync(join(work, "lone"), "x".repeat(100), { mode: 0o755 });
    const blobs = new MemoryBlobService();
    const directories = new MemoryDirectoryService();
    const file = await ingestNar(chunked(narBytes(join(work, "lone")), 9), blobs, directories);
    assert.deepEqual(file.node, await ingestPath(join(work, "lone"), new MemoryBlobService(), new MemoryDirectoryService()));
    const link = await ingestNar(chunked(encodeTokens("nix-archive-1", "(", "type", "symlink", "target", "t\xff", ")"), 5), blobs, directories);
    assert.deepEqual(link.node, { kind: "symlink", name: "", target: "t\xc3\xbf" });
  });

  it("refuses a NAR cut anywhere with the reader's message, storing no directory", async () => {
    // Cut points across headers, contents and the last closing tokens.
    const cuts = new Set<number>([0, 1, 8, 15, 16, 100, 1000, nar.length - 1, nar.length - 8, nar.length - 9, nar.length - 16, nar.length - 17]);
    for (let i = 1; i < 40; i++) cuts.add(Math.floor((nar.length * i) / 40));
    for (const cut of cuts) {
      const truncated = nar.subarray(0, cut);
      const directories = new CountingDirectoryService();
      await assert.rejects(ingestNar(chunked(truncated, 4096), new MemoryBlobService(), directories), { message: readerError(truncated) });
      assert.equal(directories.puts, 0);
      for (const directory of expected.directories) assert.equal(await directories.get(directory.digest()), undefined, `cut at ${cut}`);
    }
  });

  it("refuses hostile NARs with the reader's message, storing no directory", async () => {
    const entry = (name: string, ...node: string[]): string[] => ["entry", "(", "name", name, "node", ...node, ")"];
    const file = ["(", "type", "regular", "contents", "data", ")"];
    const hostile = [
      ["nix-archive-1", "(", "type", "directory", ...entry("b", ...file), ...entry("a", ...file), ")"], // unsorted
      ["nix-archive-1", "(", "type", "directory", ...entry("a", ...file), ...entry("a", ...file), ")"], // duplicate
      ["nix-archive-1", "(", "type", "directory", ...entry("..", ...file), ")"],
      ["nix-archive-1", "(", "type", "directory", ...entry("a/b", ...file), ")"],
      ["nix-archive-1", "(", "type", "directory", ...entry("ok", ...file), ...entry("sub", "(", "type", "symlink", "target", "", ")"), ")"],
      ["nix-archive-1", "(", "type", "fifo", ")"],
      ["not-a-nar"],
    ].map((tokens) => encodeTokens(...tokens));
    const badPadding = Buffer.from(hostile[0]);
    badPadding[8 + 13] = 1;
    const trailing = Buffer.concat([encodeTokens("nix-archive-1", ...file), Buffer.alloc(8)]);
    for (const bad of [...hostile, badPadding, trailing]) {
      const directories = new CountingDirectoryService();
      await assert.rejects(ingestNar(chunked(bad, 3), new MemoryBlobService(), directories), { message: readerError(bad) });
      assert.equal(directories.puts, 0);
    }
  });

  it("stops pulling the stream while its blob writes are stalled, with at most 16 uploads at once", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let writers = 0;
    let mostWriters = 0;
    let pulled = 0;
    const stalled = new GatedBlobService(async () => gate);
    stalled.onOpen = (delta) => {
      writers += delta;
      mostWriters = Math.max(mostWriters, writers);
    };
    async function* counted(): AsyncIterable<Uint8Array> {
      for await (const chunk of chunked(nar, 64 << 10)) {
        pulled++;
        yield chunk;
      }
    }
    const ingesting = ingestNar(counted(), stalled, new MemoryDirectoryService());
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(pulled <= 2, `${pulled} chunks pulled while every write was stalled`);
    release();
    const result = await ingesting;
    assert.deepEqual(result.node, expected.node);
    assert.equal(pulled, Math.ceil(nar.length / (64 << 10)));
    assert.ok(mostWriters <= 17, `${mostWriters} blob writers open at once`);
    assert.ok(mostWriters > 1);
  });

  it("streams a 1 GiB file in bounded memory", async () => {
    const size = 1 << 30;
    const hashOnly = new (class extends MemoryBlobService {
      override openWrite(): BlobWriter {
        const hasher = new Blake3Hasher();
        return { write: async (chunk) => hasher.update(chunk), close: async () => hasher.digest(), abort: async () => {} };
      }
    })();
    let most = 0;
    async function* nar(): AsyncIterable<Uint8Array> {
      const length = Buffer.alloc(8);
      length.writeUInt32LE(size % 2 ** 32);
      length.writeUInt32LE(Math.floor(size / 2 ** 32), 4);
      yield Buffer.concat([encodeTokens("nix-archive-1", "(", "type", "regular", "contents"), length]);
      // Fresh buffers: were any kept, memory would grow to the file's size.
      for (let left = size; left > 0; left -= 1 << 20) {
        most = Math.max(most, process.memoryUsage().arrayBuffers);
        yield Buffer.alloc(Math.min(left, 1 << 20), left % 251);
      }
      yield encodeTokens(")");
    }
    const result = await ingestNar(nar(), hashOnly, new MemoryDirectoryService());
    assert.equal(result.narSize, size + 112);
    assert.equal(result.node.kind === "file" && result.node.size, size);
    assert.ok(most < 256 << 20, `${most >> 20} MiB of buffers alive at once`);
  });

  it("fails when a blob write fails, storing no directory and leaving no upload running", async () => {
    let writes = 0;
    const failing = new GatedBlobService(async () => {
      if (++writes === 20) throw new Error("disk on fire");
    });
    let open = 0;
    failing.onOpen = (delta) => (open += delta);
    const directories = new CountingDirectoryService();
    await assert.rejects(ingestNar(chunked(nar, 64 << 10), failing, directories), /disk on fire/);
    assert.equal(directories.puts, 0);
    assert.equal(open, 0);
  });
});
