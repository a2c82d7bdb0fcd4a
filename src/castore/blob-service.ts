// BlobService: stores byte sequences named by their BLAKE3 digest. Writing streams the bytes
// in and learns the digest at the end; a blob becomes visible only once it is complete.
import type { B3Digest } from "./digest.ts";
import { CastoreError } from "./errors.ts";

/** One piece of a chunked blob, as `tvix.castore.v1.StatBlobResponse.ChunkMeta`. */
export interface ChunkMeta {
  digest: B3Digest;
  size: number;
}

export interface BlobWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Stores what was written and returns its digest; the blob is visible once this resolves. */
  close(): Promise<B3Digest>;
  /** Drops what was written; nothing becomes visible. */
  abort(): Promise<void>;
}

/** Every writer refuses to be used once closed or aborted, in the same words. */
export function checkWriterOpen(open: boolean): void {
  if (!open) throw new CastoreError("invalid-argument", "blob writer used after close or abort");
}

export interface BlobService {
  has(digest: B3Digest): Promise<boolean>;
  /**
   * The chunks a blob is stored as, for clients that fetch them one by one: undefined if the
   * blob is absent, empty if the backend does not chunk it.
   */
  chunks(digest: B3Digest): Promise<ChunkMeta[] | undefined>;
  /**
   * The contents of a blob (or of a chunk listed by `chunks`), undefined if absent. The stream
   * fails with a `data-loss` CastoreError if the stored bytes do not match the digest.
   */
  read(digest: B3Digest): Promise<AsyncIterable<Uint8Array> | undefined>;
  openWrite(): BlobWriter;
  /** Releases connections, handles, background work. */
  close(): Promise<void>;
}

/** Stores one buffer and returns its digest. */
export async function putBlob(blobs: BlobService, data: Uint8Array): Promise<B3Digest> {
  const writer = blobs.openWrite();
  try {
    await writer.write(data);
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return writer.close();
}

/** Reads a whole blob into memory; undefined if absent. For small blobs and tests. */
export async function readBlob(blobs: BlobService, digest: B3Digest): Promise<Buffer | undefined> {
  const stream = await blobs.read(digest);
  if (stream === undefined) return undefined;
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}
