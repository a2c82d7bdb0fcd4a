// `tvix.castore.v1.BlobService` in front of any BlobService. Reads go out in BLOB_CHUNK_BYTES
// messages as the client consumes them; an upload becomes visible only when the client ends it
// (a cancelled or failed upload is aborted).
import { BlobService } from "../../proto/gen/tvix/castore/v1/rpc_blobstore_pb.js";
import type { BlobService as Blobs } from "../blob-service.ts";
import { checkDigest, formatDigest } from "../digest.ts";
import { CastoreError } from "../errors.ts";
import type { ServiceHandlers } from "./server.ts";

/** The largest BlobChunk sent: well under gRPC's usual 4 MiB message limit. */
export const BLOB_CHUNK_BYTES = 1024 * 1024;

function notFound(digest: Uint8Array): CastoreError {
  return new CastoreError("not-found", `blob ${formatDigest(digest)} not found`);
}

/** `parts` cut into pieces of at most BLOB_CHUNK_BYTES. */
async function* splitIntoChunks(parts: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  for await (const part of parts) {
    for (let offset = 0; offset < part.length; offset += BLOB_CHUNK_BYTES) yield part.subarray(offset, offset + BLOB_CHUNK_BYTES);
  }
}

export function blobServiceHandlers(blobs: Blobs): ServiceHandlers<typeof BlobService> {
  return {
    async stat(request) {
      const digest = checkDigest(request.digest);
      if (!request.sendChunks) {
        if (!(await blobs.has(digest))) throw notFound(digest);
        return {};
      }
      const chunks = await blobs.chunks(digest);
      if (chunks === undefined) throw notFound(digest);
      return { chunks: chunks.map((chunk) => ({ digest: chunk.digest, size: BigInt(chunk.size) })) };
    },

    async *read(request) {
      const digest = checkDigest(request.digest);
      const contents = await blobs.read(digest);
      if (contents === undefined) throw notFound(digest);
      for await (const data of splitIntoChunks(contents)) yield { data };
    },

    async put(requests) {
      const writer = blobs.openWrite();
      try {
        for await (const chunk of requests) await writer.write(chunk.data);
      } catch (err) {
        await writer.abort();
        throw err;
      }
      return { digest: await writer.close() };
    },
  };
}
