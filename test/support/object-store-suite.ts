// What the object-store backend promises beyond the common backend suite, run on every object
// store it supports (objectstore+file here, S3 through radosgw in test/store-s3.test.ts): Tvix's
// layout, content-defined chunks, deduplication, verified reads, and that nothing becomes
// visible before it is complete. `open` gives a fresh, empty object store each time.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { fromBinary } from "@bufbuild/protobuf";
import { type BlobService, putBlob, readBlob } from "../../src/castore/blob-service.ts";
import { type B3Digest, blake3, digestHex } from "../../src/castore/digest.ts";
import { Directory } from "../../src/castore/directory.ts";
import { putDirectories } from "../../src/castore/directory-service.ts";
import { CastoreError } from "../../src/castore/errors.ts";
import { ObjectStoreBlobService } from "../../src/castore/objectstore/blob-service.ts";
import { ObjectStoreDirectoryService } from "../../src/castore/objectstore/directory-service.ts";
import type { ObjectStore } from "../../src/castore/objectstore/object-store.ts";
import { decodeDirectory } from "../../src/castore/proto.ts";
import { StatBlobResponseSchema } from "../../src/proto/gen/tvix/castore/v1/rpc_blobstore_pb.js";
import { StorePath } from "../../src/nix-compat/store-path.ts";
import { ObjectStorePathInfoService } from "../../src/store/objectstore/path-info-service.ts";
import { SeededRandom } from "./seeded-random.ts";

function seededBytes(seed: number, length: number): Uint8Array {
  const random = new SeededRandom(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = random.int(0, 255);
  return bytes;
}

/** An object store that counts and can fail the puts of its inner one. */
class InstrumentedStore implements ObjectStore {
  readonly inner: ObjectStore;
  puts: string[] = [];
  running = 0;
  maxRunning = 0;
  failPut: ((key: string) => boolean) | undefined;

  constructor(inner: ObjectStore) {
    this.inner = inner;
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.inner.get(key);
  }

  head(key: string): Promise<boolean> {
    return this.inner.head(key);
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    if (this.failPut?.(key)) throw new CastoreError("unavailable", `put of ${key} failed on purpose`);
    this.puts.push(key);
    this.maxRunning = Math.max(this.maxRunning, ++this.running);
    try {
      await this.inner.put(key, data);
    } finally {
      this.running--;
    }
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  list(prefix: string): AsyncIterable<string> {
    return this.inner.list(prefix);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  chunkPuts(): string[] {
    return this.puts.filter((key) => key.startsWith("chunks/"));
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function isDataLoss(err: unknown): boolean {
  return err instanceof CastoreError && err.code === "data-loss";
}

async function chunkDigests(blobs: BlobService, digest: B3Digest): Promise<string[]> {
  return (await blobs.chunks(digest))!.map((c) => digestHex(c.digest));
}

export function describeObjectStoreLayout(name: string, open: () => Promise<ObjectStore>): void {
  const withObjects = async (body: (objects: InstrumentedStore, blobs: ObjectStoreBlobService) => Promise<void>): Promise<void> => {
    const objects = new InstrumentedStore(await open());
    try {
      await body(objects, new ObjectStoreBlobService(objects));
    } finally {
      await objects.close();
    }
  };

  describe(`${name}: object-store layout`, () => {
    test("keys, chunk and index objects are as Tvix writes them", () =>
      withObjects(async (objects, blobs) => {
        const digest = await putBlob(blobs, Buffer.from("Hello World"));
        const hex = "41f8394111eb713a22165c46c90ab8f0fd9399c92028fd6d288944b23ff5bf76";
        assert.equal(digestHex(digest), hex);
        assert.deepEqual(await collect(objects.list("blobs/")), [`blobs/b3/41f8/${hex}`]);
        assert.deepEqual(await collect(objects.list("chunks/")), [`chunks/b3/41f8/${hex}`]);
        assert.equal(Buffer.from(zstdDecompressSync((await objects.get(`chunks/b3/41f8/${hex}`))!)).toString(), "Hello World");
        const index = fromBinary(StatBlobResponseSchema, (await objects.get(`blobs/b3/41f8/${hex}`))!);
        assert.deepEqual(
          index.chunks.map((c) => [digestHex(c.digest), c.size]),
          [[hex, 11n]],
        );
      }));

    test("a directory tree is one object, root to leaves, u32 big-endian frames, zstd", () =>
      withObjects(async (objects) => {
        const directories = new ObjectStoreDirectoryService(objects);
        const leaf = Directory.fromNodes([{ kind: "symlink", name: "l", target: "t" }]);
        const middle = Directory.fromNodes([leaf.toNode("a"), leaf.toNode("b")]);
        const root = Directory.fromNodes([middle.toNode("m"), leaf.toNode("z")]);
        await putDirectories(directories, [leaf, middle, root]);
        const hex = digestHex(root.digest());
        assert.deepEqual(await collect(objects.list("dirs/")), [`dirs/b3/${hex.slice(0, 4)}/${hex}`]);
        const bytes = zstdDecompressSync((await objects.get(`dirs/b3/${hex.slice(0, 4)}/${hex}`))!);
        const frames: string[] = [];
        for (let offset = 0; offset < bytes.length; offset += 4 + bytes.readUInt32BE(offset)) {
          frames.push(digestHex(decodeDirectory(bytes.subarray(offset + 4, offset + 4 + bytes.readUInt32BE(offset))).digest()));
        }
        assert.deepEqual(frames, [root, middle, leaf].map((d) => digestHex(d.digest())));
        assert.equal(await directories.get(leaf.digest()), undefined, "a directory below a root is not looked up on its own");
      }));

    test("chunk boundaries are content-defined: bytes inserted at the start change only the first chunks", () =>
      withObjects(async (_objects, blobs) => {
        const data = seededBytes(1, 4 * 1024 * 1024);
        const shifted = Buffer.concat([seededBytes(2, 1000), data]);
        const original = await chunkDigests(blobs, await putBlob(blobs, data));
        const changed = await chunkDigests(blobs, await putBlob(blobs, shifted));
        assert.ok(original.length >= 8 && original.length <= 32, `${original.length} chunks of 4 MiB at 256 KiB on average`);
        let common = 0;
        while (common < original.length && original.at(-1 - common) === changed.at(-1 - common)) common++;
        assert.ok(common >= original.length - 2, `only the last ${common} of ${original.length} chunks are unchanged`);
        const sizes = (await blobs.chunks(blake3(data)))!.map((c) => c.size);
        for (const size of sizes.slice(0, -1)) assert.ok(size >= 128 * 1024 && size <= 512 * 1024, `chunk size ${size}`);
      }));

    test("chunks already stored are not uploaded again, and uploads run in parallel within a bound", () =>
      withObjects(async (objects, blobs) => {
        const data = seededBytes(3, 3 * 1024 * 1024);
        const digest = await putBlob(blobs, data);
        const chunks = await chunkDigests(blobs, digest);
        assert.equal(objects.chunkPuts().length, new Set(chunks).size);
        assert.ok(objects.maxRunning > 1 && objects.maxRunning <= 8, `${objects.maxRunning} puts at once`);
        objects.puts = [];
        assert.equal(digestHex(await putBlob(blobs, data)), digestHex(digest));
        assert.deepEqual(objects.chunkPuts(), [], "the same blob again uploads no chunk");
        const appended = Buffer.concat([data, seededBytes(4, 1000)]);
        await putBlob(blobs, appended);
        assert.ok(objects.chunkPuts().length <= 2, `appending 1000 bytes uploaded ${objects.chunkPuts().length} chunks`);
        // A blob of one repeated chunk stores it once.
        objects.puts = [];
        const zeros = await putBlob(blobs, new Uint8Array(4 * 1024 * 1024));
        assert.equal((await blobs.chunks(zeros))!.length, 8);
        assert.equal(objects.chunkPuts().length, 1);
        assert.equal((await readBlob(blobs, zeros))!.length, 4 * 1024 * 1024);
      }));

    test("a tampered, undecodable or missing chunk fails the read with data-loss", () =>
      withObjects(async (objects, blobs) => {
        const data = seededBytes(5, 1024 * 1024);
        const digest = await putBlob(blobs, data);
        const chunks = (await blobs.chunks(digest))!;
        assert.ok(chunks.length >= 2);
        const victim = chunks[1];
        const key = `chunks/b3/${digestHex(victim.digest).slice(0, 4)}/${digestHex(victim.digest)}`;
        const original = (await objects.get(key))!;
        const tampered = Buffer.from(zstdDecompressSync(original));
        tampered[1000] ^= 1;
        for (const replacement of [zstdCompressSync(tampered), Buffer.from("not zstd at all")]) {
          await objects.put(key, replacement);
          await assert.rejects(readBlob(blobs, digest), isDataLoss);
          await assert.rejects(readBlob(blobs, victim.digest), isDataLoss);
        }
        await objects.delete(key);
        await assert.rejects(readBlob(blobs, digest), (err: unknown) => isDataLoss(err) && /missing/.test((err as Error).message));
        await objects.put(key, original);
        assert.ok(Buffer.from(data).equals((await readBlob(blobs, digest))!));
        await objects.put(`blobs/b3/${digestHex(digest).slice(0, 4)}/${digestHex(digest)}`, Buffer.from([0xff, 0xff]));
        await assert.rejects(blobs.chunks(digest), isDataLoss);
      }));

    test("an aborted or failed upload leaves no blob index", () =>
      withObjects(async (objects, blobs) => {
        const data = seededBytes(6, 2 * 1024 * 1024);
        const writer = blobs.openWrite();
        await writer.write(data);
        await writer.abort();
        assert.ok(objects.chunkPuts().length > 0, "chunks were uploaded before the abort");
        assert.deepEqual(await collect(objects.list("blobs/")), []);
        assert.equal(await blobs.has(blake3(data)), false);
        await assert.rejects(writer.write(data), /after close or abort/);

        let failed = 0;
        objects.failPut = (key) => key.startsWith("chunks/") && ++failed === 3;
        await assert.rejects(putBlob(blobs, seededBytes(7, 2 * 1024 * 1024)), /failed on purpose/);
        assert.deepEqual(await collect(objects.list("blobs/")), []);
      }));

    test("a corrupt directory tree object is data-loss", () =>
      withObjects(async (objects) => {
        const directories = new ObjectStoreDirectoryService(objects);
        const leaf = Directory.fromNodes([{ kind: "symlink", name: "l", target: "t" }]);
        const root = Directory.fromNodes([leaf.toNode("a")]);
        await putDirectories(directories, [leaf, root]);
        const hex = digestHex(root.digest());
        const key = `dirs/b3/${hex.slice(0, 4)}/${hex}`;
        const frames = zstdDecompressSync((await objects.get(key))!);
        for (const corrupt of [Buffer.from("garbage"), zstdCompressSync(frames.subarray(0, frames.length - 1)), zstdCompressSync(Buffer.concat([frames, frames.subarray(0, 4 + frames.readUInt32BE(0))]))]) {
          await objects.put(key, corrupt);
          await assert.rejects(collect(directories.getRecursive(root.digest())), isDataLoss);
        }
      }));

    test("a path info whose contents are not stored is refused, and nothing is written", () =>
      withObjects(async (objects, blobs) => {
        const directories = new ObjectStoreDirectoryService(objects);
        const pathInfos = new ObjectStorePathInfoService(objects, { blobs, directories });
        const storePath = new StorePath(new Uint8Array(20).fill(7), "missing");
        const info = { storePath, references: [], narSize: 1, narSha256: new Uint8Array(32), signatures: [] };
        await assert.rejects(pathInfos.put({ ...info, node: { kind: "file", name: "", digest: blake3(Buffer.from("x")), size: 1, executable: false } }), /not in the store/);
        await assert.rejects(pathInfos.put({ ...info, node: { kind: "directory", name: "", digest: blake3(Buffer.from("y")), size: 1 } }), /not in the store/);
        assert.deepEqual(await collect(objects.list("pathinfos/")), []);
        await objects.put(`pathinfos/${"07".repeat(20)}`, Buffer.from("garbage"));
        await assert.rejects(pathInfos.get(storePath.digest), isDataLoss);
      }));
  });
}
