// `memory://` directories: a map from digest to Directory.
import { type B3Digest, digestHex } from "../digest.ts";
import type { Directory } from "../directory.ts";
import { type DirectoryPutter, type DirectoryService, validatingPutter, walkRootToLeaves } from "../directory-service.ts";

export class MemoryDirectoryService implements DirectoryService {
  private readonly directories = new Map<string, Directory>();

  async get(digest: B3Digest): Promise<Directory | undefined> {
    return this.directories.get(digestHex(digest));
  }

  async *getRecursive(root: B3Digest): AsyncIterable<Directory> {
    yield* walkRootToLeaves(root, async (digest) => this.directories.get(digestHex(digest)));
  }

  putMultiple(): DirectoryPutter {
    return validatingPutter(async (directories) => {
      for (const directory of directories) this.directories.set(digestHex(directory.digest()), directory);
    });
  }

  async close(): Promise<void> {}
}
