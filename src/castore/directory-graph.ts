// Checks the order of directory streams, as Tvix's DirectoryGraph does. Leaves to root (Put):
// a directory may refer only to directories already received, with their exact size, and at the
// end every directory but the last (the root) must have been referred to. Root to leaves (a
// recursive Get): the first is the root asked for, each later one was referred to before, and
// at the end nothing referred to is missing.
import { type B3Digest, digestEquals, digestHex, formatDigest } from "./digest.ts";
import type { Directory } from "./directory.ts";
import { CastoreError } from "./errors.ts";

function invalid(message: string): CastoreError {
  return new CastoreError("invalid-argument", message);
}

export class LeavesToRootValidator {
  private readonly received = new Map<string, Directory>();
  private readonly unreferenced = new Set<string>();
  private last: Directory | undefined;

  /** Checks the next directory; throws an invalid-argument CastoreError if it is out of order. */
  add(directory: Directory): void {
    for (const child of directory.directories) {
      const known = this.received.get(digestHex(child.digest));
      if (known === undefined) {
        throw invalid(`directory ${formatDigest(directory.digest())} refers to ${formatDigest(child.digest)} (${JSON.stringify(child.name)}), which was not sent before it`);
      }
      if (known.size !== child.size) {
        throw invalid(`directory ${formatDigest(directory.digest())} gives ${JSON.stringify(child.name)} size ${child.size}, but it has size ${known.size}`);
      }
    }
    const key = digestHex(directory.digest());
    if (!this.received.has(key)) {
      this.received.set(key, directory);
      this.unreferenced.add(key);
    }
    for (const child of directory.directories) this.unreferenced.delete(digestHex(child.digest));
    this.last = directory;
  }

  /** The root, after checking that everything received hangs below it; returns all, leaves first. */
  finish(): { root: Directory; directories: Directory[] } {
    const root = this.last;
    if (root === undefined) throw invalid("no directories were sent");
    this.unreferenced.delete(digestHex(root.digest()));
    const [stray] = this.unreferenced;
    if (stray !== undefined) throw invalid(`directory ${formatDigest(this.received.get(stray)!.digest())} is not below the root ${formatDigest(root.digest())}`);
    return { root, directories: [...this.received.values()] };
  }
}

export class RootToLeavesValidator {
  private readonly expected = new Set<string>();
  private readonly received = new Set<string>();
  private readonly root: B3Digest;

  constructor(root: B3Digest) {
    this.root = root;
  }

  add(directory: Directory): void {
    const digest = directory.digest();
    const key = digestHex(digest);
    if (this.received.size === 0) {
      if (!digestEquals(digest, this.root)) throw new CastoreError("data-loss", `asked for directory ${formatDigest(this.root)}, got ${formatDigest(digest)}`);
    } else if (!this.expected.has(key)) {
      throw new CastoreError("data-loss", `directory ${formatDigest(digest)} was sent before anything referred to it`);
    }
    this.received.add(key);
    for (const child of directory.directories) this.expected.add(digestHex(child.digest));
  }

  /** Throws if a directory that was referred to never came. */
  finish(): void {
    for (const key of this.expected) {
      if (!this.received.has(key)) throw new CastoreError("data-loss", `directory ${key} is referred to but was not sent`);
    }
  }
}
