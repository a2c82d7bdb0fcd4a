// DirectoryService: stores Directory messages by digest. Whole trees travel in two orders:
// `getRecursive` yields root to leaves (each directory after one that refers to it), and a
// `DirectoryPutter` takes leaves to root (each directory after all the directories it refers
// to), the last one being the root; both orders are checked by directory-graph.ts.
import { type B3Digest, digestHex, formatDigest } from "./digest.ts";
import type { Directory } from "./directory.ts";
import { LeavesToRootValidator } from "./directory-graph.ts";
import { CastoreError } from "./errors.ts";

export interface DirectoryPutter {
  /** The next directory, leaves first; refused at once if it refers to one not sent before. */
  put(directory: Directory): Promise<void>;
  /**
   * Checks that what was sent is one connected tree, stores it, and returns the root digest;
   * nothing is visible before this resolves. Refused if the tree is incomplete.
   */
  close(): Promise<B3Digest>;
}

export interface DirectoryService {
  /** One directory, undefined if absent. */
  get(digest: B3Digest): Promise<Directory | undefined>;
  /**
   * The directory and everything below it, root to leaves, each digest once. Yields nothing if
   * the root is absent; fails with `data-loss` if a child is missing.
   */
  getRecursive(root: B3Digest): AsyncIterable<Directory>;
  /** Starts storing a tree, leaves to root. */
  putMultiple(): DirectoryPutter;
  close(): Promise<void>;
}

/**
 * A putter that validates the stream in memory and hands the whole tree (leaves first) to
 * `store` at close: for backends that write a tree at once.
 */
export function validatingPutter(store: (leavesToRoot: Directory[]) => Promise<void>): DirectoryPutter {
  const validator = new LeavesToRootValidator();
  return {
    put: async (directory) => validator.add(directory),
    close: async () => {
      const { root, directories } = validator.finish();
      await store(directories);
      return root.digest();
    },
  };
}

/** Stores a whole tree given leaves to root; returns the root digest. */
export async function putDirectories(service: DirectoryService, leavesToRoot: Iterable<Directory>): Promise<B3Digest> {
  const putter = service.putMultiple();
  for (const directory of leavesToRoot) await putter.put(directory);
  return putter.close();
}

/**
 * Breadth-first from `root` over single-directory lookups, each digest once: the recursive Get
 * of backends that store directories one by one.
 */
export async function* walkRootToLeaves(root: B3Digest, lookup: (digest: B3Digest) => Promise<Directory | undefined>): AsyncIterable<Directory> {
  const first = await lookup(root);
  if (first === undefined) return;
  const seen = new Set([digestHex(root)]);
  const queue: Directory[] = [first];
  for (let i = 0; i < queue.length; i++) {
    const directory = queue[i];
    yield directory;
    for (const child of directory.directories) {
      const key = digestHex(child.digest);
      if (seen.has(key)) continue;
      seen.add(key);
      const found = await lookup(child.digest);
      if (found === undefined) throw new CastoreError("data-loss", `directory ${formatDigest(child.digest)} below ${formatDigest(root)} is missing`);
      queue.push(found);
    }
  }
}
