// A BlobService on a remote `tvix.castore.v1.BlobService`. As Tvix's client does, a read first
// asks for the blob's chunks and, if the server lists several, reads them one by one. Every
// byte received is checked against its digest, and every upload against the digest the server
// reports, so a server cannot hand out or store other contents than asked for.
import type * as grpc from "@grpc/grpc-js";
import { BlobService } from "../../proto/gen/tvix/castore/v1/rpc_blobstore_pb.js";
import { type BlobService as Blobs, type BlobWriter, type ChunkMeta, checkWriterOpen } from "../blob-service.ts";
import { type B3Digest, Blake3Hasher, digestEquals, formatDigest } from "../digest.ts";
import { CastoreError } from "../errors.ts";
import { BLOB_CHUNK_BYTES } from "./blob-server.ts";
import { ServiceClient } from "./client.ts";
import { checkReply } from "./status.ts";

export class GrpcBlobService implements Blobs {
  private readonly rpc: ServiceClient<typeof BlobService>;

  constructor(client: grpc.Client, where: string) {
    this.rpc = new ServiceClient(BlobService, client, where);
  }

  /** The reply to Stat, undefined if the server has no such blob. */
  private async stat(digest: B3Digest, sendChunks: boolean) {
    try {
      return await this.rpc.unary("stat", { digest, sendChunks });
    } catch (err) {
      if (err instanceof CastoreError && err.code === "not-found") return undefined;
      throw err;
    }
  }

  async has(digest: B3Digest): Promise<boolean> {
    return (await this.stat(digest, false)) !== undefined;
  }

  async chunks(digest: B3Digest): Promise<ChunkMeta[] | undefined> {
    const reply = await this.stat(digest, true);
    if (reply === undefined) return undefined;
    return checkReply(
      () =>
        reply.chunks.map((chunk, i) => {
          if (chunk.digest.length !== 32 || chunk.size > BigInt(Number.MAX_SAFE_INTEGER)) {
            throw new CastoreError("invalid-argument", `an invalid chunk list for ${formatDigest(digest)} (chunk ${i})`);
          }
          return { digest: chunk.digest, size: Number(chunk.size) };
        }),
      this.rpc.where,
    );
  }

  async read(digest: B3Digest): Promise<AsyncIterable<Uint8Array> | undefined> {
    const chunks = await this.chunks(digest);
    if (chunks === undefined) return undefined;
    if (chunks.length <= 1) return this.readParts([{ digest, size: undefined }]);
    const size = chunks.reduce((sum, chunk) => sum + chunk.size, 0);
    return this.verified(digest, size, this.readParts(chunks));
  }

  /** Each part read with Read and checked on its own. */
  private async *readParts(parts: { digest: B3Digest; size: number | undefined }[]): AsyncIterable<Uint8Array> {
    for (const part of parts) {
      const data = this.rpc.serverStream("read", { digest: part.digest });
      yield* this.verified(part.digest, part.size, (async function* () {
        for await (const chunk of data) yield chunk.data;
      })());
    }
  }

  /** Passes `data` through, failing with data-loss at the end if it is not what `digest` names. */
  private async *verified(digest: B3Digest, size: number | undefined, data: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    const hasher = new Blake3Hasher();
    let length = 0;
    for await (const chunk of data) {
      hasher.update(chunk);
      length += chunk.length;
      yield chunk;
    }
    if ((size !== undefined && length !== size) || !digestEquals(hasher.digest(), digest)) {
      throw new CastoreError("data-loss", `${this.rpc.where} sent contents for ${formatDigest(digest)} that do not match it`);
    }
  }

  openWrite(): BlobWriter {
    const stream = this.rpc.requestStream("put");
    const hasher = new Blake3Hasher();
    let state: "open" | "closed" = "open";
    return {
      write: async (chunk) => {
        checkWriterOpen(state === "open");
        hasher.update(chunk);
        for (let offset = 0; offset < chunk.length; offset += BLOB_CHUNK_BYTES) {
          await stream.write({ data: chunk.subarray(offset, offset + BLOB_CHUNK_BYTES) });
        }
      },
      close: async () => {
        checkWriterOpen(state === "open");
        state = "closed";
        const digest = hasher.digest();
        const reply = await stream.finish();
        if (!digestEquals(reply.digest, digest)) {
          throw new CastoreError("data-loss", `${this.rpc.where} stored a blob as ${formatDigest(reply.digest)}, but what was sent is ${formatDigest(digest)}`);
        }
        return digest;
      },
      abort: async () => {
        if (state === "open") stream.cancel();
        state = "closed";
      },
    };
  }

  async close(): Promise<void> {
    this.rpc.close();
  }
}
