// Blobs in an object store, in Tvix's layout (tvix/castore/src/blobservice/object_store.rs), so
// that either implementation reads what the other wrote:
// - a blob is cut into chunks by FastCDC (average 256 KiB, min half, max double); each chunk is
//   stored zstd-compressed at `chunks/b3/<prefix>/<hex>` of its own BLAKE3 digest, once however
//   many blobs share it;
// - the blob's index `blobs/b3/<prefix>/<hex>` is a StatBlobResponse listing its chunks. It is
//   written after all chunks are, so a blob is visible only once complete;
// - the empty blob is stored nowhere: it is answered without a lookup.
// Reads verify every chunk's digest and size and the blob's digest. An aborted or failed upload
// may leave chunks that no index lists: harmless, and not deleted, since a concurrent writer of
// the same bytes may have skipped uploading them because they were there.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { StatBlobResponseSchema } from "../../proto/gen/tvix/castore/v1/rpc_blobstore_pb.js";
import { type BlobService, type BlobWriter, type ChunkMeta, checkWriterOpen } from "../blob-service.ts";
import { B3_DIGEST_LENGTH, type B3Digest, Blake3Hasher, EMPTY_DIGEST, blake3, checkDigest, digestEquals, digestHex, formatDigest } from "../digest.ts";
import { CastoreError } from "../errors.ts";
import { FastCdc } from "./fastcdc.ts";
import { type ObjectStore, digestKey } from "./object-store.ts";
import { compress, decompress } from "./zstd.ts";

const AVERAGE_CHUNK_SIZE = 256 * 1024;
/** Chunks uploaded at the same time by one writer. */
const UPLOAD_CONCURRENCY = 8;
/** Chunks fetched ahead of the reader. */
const READ_AHEAD = 4;
/**
 * Bound on a chunk read by its own digest, whose size no index tells: FastCDC's largest chunk
 * (for any chunk sizes a Tvix store may be configured with). Guards against zstd bombs.
 */
const MAX_CHUNK_SIZE = 16 * 1024 * 1024;

const blobKey = (digest: B3Digest): string => digestKey("blobs", digest);
const chunkKey = (digest: B3Digest): string => digestKey("chunks", digest);

function dataLoss(message: string, cause?: unknown): CastoreError {
  return new CastoreError("data-loss", message, cause === undefined ? undefined : { cause });
}

/** The chunk list of a blob index, checked. */
function decodeIndex(digest: B3Digest, bytes: Uint8Array): ChunkMeta[] {
  const corrupt = (why: string, cause?: unknown): CastoreError => dataLoss(`the index of blob ${formatDigest(digest)} is corrupt: ${why}`, cause);
  let index;
  try {
    index = fromBinary(StatBlobResponseSchema, bytes);
  } catch (err) {
    throw corrupt((err as Error).message, err);
  }
  if (index.chunks.length === 0) throw corrupt("it lists no chunks");
  return index.chunks.map((chunk) => {
    if (chunk.digest.length !== B3_DIGEST_LENGTH) throw corrupt(`a chunk digest has ${chunk.digest.length} bytes`);
    if (chunk.size === 0n || chunk.size > BigInt(MAX_CHUNK_SIZE)) throw corrupt(`a chunk has size ${chunk.size}`);
    return { digest: chunk.digest, size: Number(chunk.size) };
  });
}

function encodeIndex(chunks: ChunkMeta[]): Uint8Array {
  return toBinary(StatBlobResponseSchema, create(StatBlobResponseSchema, { chunks: chunks.map((c) => ({ digest: c.digest, size: BigInt(c.size) })) }));
}

export class ObjectStoreBlobService implements BlobService {
  private readonly objects: ObjectStore;
  private readonly chunker = new FastCdc({ min: AVERAGE_CHUNK_SIZE / 2, avg: AVERAGE_CHUNK_SIZE, max: AVERAGE_CHUNK_SIZE * 2 });

  /** The object store is shared and owned by the caller, who closes it. */
  constructor(objects: ObjectStore) {
    this.objects = objects;
  }

  async has(digest: B3Digest): Promise<boolean> {
    checkDigest(digest);
    if (digestEquals(digest, EMPTY_DIGEST)) return true;
    return (await this.objects.head(blobKey(digest))) || (await this.objects.head(chunkKey(digest)));
  }

  async chunks(digest: B3Digest): Promise<ChunkMeta[] | undefined> {
    checkDigest(digest);
    if (digestEquals(digest, EMPTY_DIGEST)) return [];
    const index = await this.objects.get(blobKey(digest));
    if (index !== undefined) return decodeIndex(digest, index);
    // A chunk read on its own has no finer chunks.
    return (await this.objects.head(chunkKey(digest))) ? [] : undefined;
  }

  async read(digest: B3Digest): Promise<AsyncIterable<Uint8Array> | undefined> {
    checkDigest(digest);
    if (digestEquals(digest, EMPTY_DIGEST)) return (async function* () {})();
    // A chunk first: a blob of one chunk is that chunk, so this takes one request, not two.
    const chunk = await this.objects.get(chunkKey(digest));
    if (chunk !== undefined) {
      return (async function* () {
        yield await unpackChunk(digest, chunk, undefined);
      })();
    }
    const index = await this.objects.get(blobKey(digest));
    return index === undefined ? undefined : this.readChunks(digest, index);
  }

  private async *readChunks(digest: B3Digest, index: Uint8Array): AsyncIterable<Uint8Array> {
    const chunks = decodeIndex(digest, index);
    const hasher = new Blake3Hasher();
    const pending: Promise<Uint8Array>[] = [];
    const fetchNext = (): void => {
      const chunk = chunks[pending.length];
      const fetched = this.fetchChunk(chunk, digest);
      // Awaited in order below; this only keeps a failure after the reader stops from going unhandled.
      fetched.catch(() => {});
      pending.push(fetched);
    };
    for (let i = 0; i < chunks.length; i++) {
      while (pending.length < Math.min(chunks.length, i + 1 + READ_AHEAD)) fetchNext();
      const data = await pending[i];
      hasher.update(data);
      yield data;
    }
    if (!digestEquals(hasher.digest(), digest)) throw dataLoss(`the chunks of blob ${formatDigest(digest)} do not add up to its digest`);
  }

  private async fetchChunk(chunk: ChunkMeta, blob: B3Digest): Promise<Uint8Array> {
    const stored = await this.objects.get(chunkKey(chunk.digest));
    if (stored === undefined) throw dataLoss(`chunk ${formatDigest(chunk.digest)} of blob ${formatDigest(blob)} is missing`);
    return unpackChunk(chunk.digest, stored, chunk.size);
  }

  openWrite(): BlobWriter {
    return new ChunkingBlobWriter(this.objects, this.chunker);
  }

  async close(): Promise<void> {}
}

/** Decompresses a stored chunk and checks it against its digest (and size, when known). */
async function unpackChunk(digest: B3Digest, stored: Uint8Array, size: number | undefined): Promise<Uint8Array> {
  let data: Uint8Array;
  try {
    data = await decompress(stored, size ?? MAX_CHUNK_SIZE);
  } catch (err) {
    throw dataLoss(`chunk ${formatDigest(digest)} cannot be decompressed: ${(err as Error).message}`, err);
  }
  if ((size !== undefined && data.length !== size) || !digestEquals(blake3(data), digest)) {
    throw dataLoss(`chunk ${formatDigest(digest)} does not match its digest`);
  }
  return data;
}

/**
 * Buffers what is written until FastCDC can decide the next cut (it needs `max` bytes or the
 * end), and uploads each chunk as it is cut, several at a time, skipping chunks already stored.
 */
class ChunkingBlobWriter implements BlobWriter {
  private readonly objects: ObjectStore;
  private readonly chunker: FastCdc;
  private readonly hasher = new Blake3Hasher();
  /** Written bytes not yet cut are window[start, end); room for a full chunk after compaction. */
  private window: Buffer | undefined;
  private start = 0;
  private end = 0;
  private readonly chunks: ChunkMeta[] = [];
  /** Chunks this writer stored or is storing, so a repeated chunk is uploaded once. */
  private readonly seen = new Set<string>();
  private readonly uploads = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;
  private state: "open" | "closing" | "done" = "open";

  constructor(objects: ObjectStore, chunker: FastCdc) {
    this.objects = objects;
    this.chunker = chunker;
  }

  private checkUsable(): void {
    checkWriterOpen(this.state === "open");
    if (this.failure !== undefined) throw this.failure.error;
  }

  async write(data: Uint8Array): Promise<void> {
    this.checkUsable();
    this.hasher.update(data);
    const { max } = this.chunker.sizes;
    this.window ??= Buffer.allocUnsafe(2 * max);
    for (let offset = 0; offset < data.length; ) {
      if (this.end === this.window.length) {
        this.window.copy(this.window, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      const n = Math.min(data.length - offset, this.window.length - this.end);
      this.window.set(data.subarray(offset, offset + n), this.end);
      this.end += n;
      offset += n;
      while (this.end - this.start >= max) await this.cutChunk();
    }
  }

  /** Cuts the next chunk off the window and starts its upload, waiting while too many run. */
  private async cutChunk(): Promise<void> {
    const window = this.window!;
    const length = this.chunker.cut(window.subarray(this.start, this.end));
    const data = new Uint8Array(window.subarray(this.start, this.start + length));
    this.start += length;
    const digest = blake3(data);
    this.chunks.push({ digest, size: length });
    const key = digestHex(digest);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const upload: Promise<void> = this.uploadChunk(digest, data)
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.uploads.delete(upload));
    this.uploads.add(upload);
    if (this.uploads.size >= UPLOAD_CONCURRENCY) await Promise.race(this.uploads);
    if (this.failure !== undefined) throw this.failure.error;
  }

  private async uploadChunk(digest: B3Digest, data: Uint8Array): Promise<void> {
    const key = chunkKey(digest);
    if (await this.objects.head(key)) return;
    await this.objects.put(key, await compress(data));
  }

  async close(): Promise<B3Digest> {
    this.checkUsable();
    this.state = "closing";
    try {
      while (this.end > this.start) await this.cutChunk();
      await Promise.all(this.uploads);
      if (this.failure !== undefined) throw this.failure.error;
      if (this.state !== "closing") throw new CastoreError("unavailable", "blob upload aborted");
      const digest = this.hasher.digest();
      if (!digestEquals(digest, EMPTY_DIGEST)) await this.objects.put(blobKey(digest), encodeIndex(this.chunks));
      return digest;
    } finally {
      await this.finish();
    }
  }

  async abort(): Promise<void> {
    if (this.state === "done") return;
    this.state = "done";
    await this.finish();
  }

  /** Lets running uploads settle (nothing goes on after close or abort) and drops the buffer. */
  private async finish(): Promise<void> {
    this.state = "done";
    this.window = undefined;
    await Promise.allSettled(this.uploads);
  }
}
