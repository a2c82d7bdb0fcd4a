// Local directories: one LMDB database (in an environment the caller opens and shares, see
// store/local/store.ts) mapping the 32-byte digest to the canonical encoding. LMDB gives
// transactions that are atomic and crash-proof, and lets several processes share the file.
//
// A putter validates the whole stream in memory and writes the tree in one transaction at
// close(), so a tree is either entirely visible or not at all, and close() resolves only once
// the transaction is flushed to disk: whatever is recorded next (a PathInfo) can rely on it.
import type { Database, RootDatabase } from "lmdb";
import { type B3Digest, checkDigest, digestEquals, formatDigest } from "../digest.ts";
import type { Directory } from "../directory.ts";
import { type DirectoryPutter, type DirectoryService, validatingPutter, walkRootToLeaves } from "../directory-service.ts";
import { CastoreError } from "../errors.ts";
import { decodeDirectory } from "../proto.ts";

/**
 * A stored value as a plain Uint8Array: LMDB returns Buffers, and the digests decoded from them
 * would be Buffers too, unlike those of every other backend.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Runs an LMDB operation, turning its failures into CastoreErrors. */
export async function lmdbCall<T>(what: string, action: () => T | Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof CastoreError) throw err;
    throw new CastoreError("unavailable", `${what}: ${(err as Error).message}`, { cause: err });
  }
}

/** Commits the writes of `action` in one transaction and waits until it is on disk. */
export async function durableTransaction(env: RootDatabase, what: string, action: () => void): Promise<void> {
  await lmdbCall(what, async () => {
    await env.transaction(action);
    // With LMDB's overlapping sync (the default on Linux) a commit resolves when it is visible;
    // `flushed` resolves once it has also been synced to disk.
    await env.flushed;
  });
}

export class LocalDirectoryService implements DirectoryService {
  private readonly env: RootDatabase;
  private readonly db: Database<Uint8Array, Uint8Array>;

  constructor(env: RootDatabase) {
    this.env = env;
    this.db = env.openDB<Uint8Array, Uint8Array>({ name: "directories", keyEncoding: "binary", encoding: "binary" });
  }

  async get(digest: B3Digest): Promise<Directory | undefined> {
    checkDigest(digest);
    const bytes = await lmdbCall("cannot read directory", () => this.db.getBinary(digest));
    if (bytes === undefined) return undefined;
    let directory: Directory;
    try {
      directory = decodeDirectory(plainBytes(bytes));
    } catch (err) {
      throw new CastoreError("data-loss", `stored directory ${formatDigest(digest)} is corrupt: ${(err as Error).message}`, { cause: err });
    }
    if (!digestEquals(directory.digest(), digest)) {
      throw new CastoreError("data-loss", `stored directory ${formatDigest(digest)} is corrupt: its contents are ${formatDigest(directory.digest())}`);
    }
    return directory;
  }

  async *getRecursive(root: B3Digest): AsyncIterable<Directory> {
    yield* walkRootToLeaves(root, (digest) => this.get(digest));
  }

  putMultiple(): DirectoryPutter {
    return validatingPutter((directories) =>
      durableTransaction(this.env, "cannot store directories", () => {
        for (const directory of directories) {
          const key = directory.digest();
          if (!this.db.doesExist(key)) this.db.put(key, directory.encode());
        }
      }),
    );
  }

  /** The environment belongs to whoever opened it. */
  async close(): Promise<void> {}
}
