// zstd for stored chunks and directory trees, off the main thread (zlib's thread pool). Node's
// default output step is 16 KiB, one thread-pool round trip each; steps the size of a whole
// chunk make it about five times faster.
import { promisify } from "node:util";
import { zstdCompress, zstdDecompress } from "node:zlib";

const compressAsync = promisify(zstdCompress);
const decompressAsync = promisify(zstdDecompress);

const STEP = 1024 * 1024;

export function compress(data: Uint8Array): Promise<Buffer> {
  // Incompressible data grows by a few bytes per 128 KiB block; one step holds it.
  return compressAsync(data, { chunkSize: Math.max(64 * 1024, data.length + (data.length >> 7) + 1024) });
}

/** Fails (ERR_BUFFER_TOO_LARGE) past `maxLength` bytes, against zstd bombs. */
export function decompress(data: Uint8Array, maxLength: number): Promise<Buffer> {
  return decompressAsync(data, { maxOutputLength: maxLength, chunkSize: Math.max(64 * 1024, Math.min(maxLength, STEP)) });
}
