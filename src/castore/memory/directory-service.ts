// `memory://` directories: a map from digest to Directory.
import { type B3Digest, digestHex } from "../digest.ts";
import type { Directory } from "../directory.ts";
import { LeavesToRootValidator } from "../directory-graph.ts";
import { type DirectoryPutter, type DirectoryService, walkRootToLeaves } from "../directory-service.ts";

export class MemoryDirectoryService implements DirectoryService {
  private readonly directories = new Map<string, Directory>();

  async get(digest: B3Digest): Promise<Directory | undefined> {
    return this.directories.get(digestHex(digest));
  }

  async *getRecursive(root: B3Digest): AsyncIterable<Directory> {
    yield* walkRootToLeaves(root, async (digest) => this.directories.get(digestHex(digest)));
  }

  putMultiple(): DirectoryPutter {
    const validator = new LeavesToRootValidator();
    return {
      put: async (directory) => validator.add(directory),
      close: async () => {
        const { root, directories } = validator.finish();
        for (const directory of directories) this.directories.set(digestHex(directory.digest()), directory);
        return root.digest();
      },
    };
  }

  async close(): Promise<void> {}
}
