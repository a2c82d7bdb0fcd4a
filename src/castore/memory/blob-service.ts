// `memory://` blobs: a map from digest to bytes, for tests and throw-away stores.
import { type BlobService, type BlobWriter, type ChunkMeta, checkWriterOpen } from "../blob-service.ts";
import { type B3Digest, Blake3Hasher, digestHex } from "../digest.ts";

export class MemoryBlobService implements BlobService {
  private readonly blobs = new Map<string, Uint8Array>();

  async has(digest: B3Digest): Promise<boolean> {
    return this.blobs.has(digestHex(digest));
  }

  async chunks(digest: B3Digest): Promise<ChunkMeta[] | undefined> {
    return this.blobs.has(digestHex(digest)) ? [] : undefined;
  }

  async read(digest: B3Digest): Promise<AsyncIterable<Uint8Array> | undefined> {
    const blob = this.blobs.get(digestHex(digest));
    if (blob === undefined) return undefined;
    return (async function* () {
      yield blob;
    })();
  }

  openWrite(): BlobWriter {
    const parts: Uint8Array[] = [];
    const hasher = new Blake3Hasher();
    let state: "open" | "closed" = "open";
    return {
      write: async (chunk) => {
        checkWriterOpen(state === "open");
        hasher.update(chunk);
        parts.push(Uint8Array.from(chunk));
      },
      close: async () => {
        checkWriterOpen(state === "open");
        state = "closed";
        const digest = hasher.digest();
        this.blobs.set(digestHex(digest), Buffer.concat(parts));
        return digest;
      },
      abort: async () => {
        state = "closed";
      },
    };
  }

  async close(): Promise<void> {}
}
