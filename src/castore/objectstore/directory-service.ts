// Directories in an object store, in Tvix's layout (tvix/castore/src/directoryservice/
// object_store.rs): each tree put with `putMultiple` is one object at `dirs/b3/<prefix>/<hex>` of
// its root, holding the whole closure root to leaves (breadth-first), each Directory prefixed by
// its length as a big-endian u32, the whole zstd-compressed. A tree is thus one request to write
// and one to read.
//
// As in Tvix, only roots can be looked up: `get` of a directory that was only ever stored below
// another root answers undefined (Tvix's DirectoryService tests allow this; whatever reads a tree
// starts from the root a PathInfo names). `get` of a root reads its whole closure object.
import { type B3Digest, checkDigest, digestHex, formatDigest } from "../digest.ts";
import type { Directory } from "../directory.ts";
import { RootToLeavesValidator } from "../directory-graph.ts";
import { type DirectoryPutter, type DirectoryService, validatingPutter, walkRootToLeaves } from "../directory-service.ts";
import { CastoreError } from "../errors.ts";
import { decodeDirectory } from "../proto.ts";
import { type ObjectStore, digestKey } from "./object-store.ts";
import { compress, decompress } from "./zstd.ts";

/** Bound on a decompressed closure, against zstd bombs; far above any real tree's. */
const MAX_CLOSURE_BYTES = 1 << 30;

const dirsKey = (digest: B3Digest): string => digestKey("dirs", digest);

function dataLoss(root: B3Digest, why: string, cause?: unknown): CastoreError {
  return new CastoreError("data-loss", `the stored closure of directory ${formatDigest(root)} is corrupt: ${why}`, cause === undefined ? undefined : { cause });
}

/** The frames of a validated tree, root to leaves. */
async function encodeClosure(root: Directory, directories: Directory[]): Promise<Buffer> {
  const byDigest = new Map(directories.map((d) => [digestHex(d.digest()), d]));
  const parts: Uint8Array[] = [];
  for await (const directory of walkRootToLeaves(root.digest(), async (digest) => byDigest.get(digestHex(digest)))) {
    const bytes = directory.encode();
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  }
  return Buffer.concat(parts);
}

export class ObjectStoreDirectoryService implements DirectoryService {
  private readonly objects: ObjectStore;

  /** The object store is shared and owned by the caller, who closes it. */
  constructor(objects: ObjectStore) {
    this.objects = objects;
  }

  /** Whether a tree with this root is stored. */
  async has(root: B3Digest): Promise<boolean> {
    return this.objects.head(dirsKey(checkDigest(root)));
  }

  /** The directory if it was stored as the root of a tree (see the top of this file). */
  async get(digest: B3Digest): Promise<Directory | undefined> {
    for await (const root of this.getRecursive(digest)) return root;
    return undefined;
  }

  async *getRecursive(root: B3Digest): AsyncIterable<Directory> {
    checkDigest(root);
    const stored = await this.objects.get(dirsKey(root));
    if (stored === undefined) return;
    let bytes: Buffer;
    try {
      bytes = await decompress(stored, MAX_CLOSURE_BYTES);
    } catch (err) {
      throw dataLoss(root, `cannot decompress it: ${(err as Error).message}`, err);
    }
    // Every directory is checked against the digest its parent (or the caller) gave.
    const validator = new RootToLeavesValidator(root);
    let offset = 0;
    while (offset < bytes.length) {
      const length = offset + 4 <= bytes.length ? bytes.readUInt32BE(offset) : -1;
      if (length < 0 || offset + 4 + length > bytes.length) throw dataLoss(root, "it ends in the middle of a directory");
      let directory: Directory;
      try {
        directory = decodeDirectory(bytes.subarray(offset + 4, offset + 4 + length));
      } catch (err) {
        throw dataLoss(root, (err as Error).message, err);
      }
      offset += 4 + length;
      validator.add(directory);
      yield directory;
    }
    if (offset === 0) throw dataLoss(root, "it is empty");
    validator.finish();
  }

  putMultiple(): DirectoryPutter {
    return validatingPutter(async (leavesToRoot) => {
      // The validator ends with the root, after everything below it.
      const root = leavesToRoot.at(-1)!;
      const key = dirsKey(root.digest());
      if (await this.objects.head(key)) return;
      await this.objects.put(key, await compress(await encodeClosure(root, leavesToRoot)));
    });
  }

  async close(): Promise<void> {}
}
