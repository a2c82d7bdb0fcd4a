// `cache://?near=URL&far=URL`: a read-through cache, as Tvix's combinators. Reads try the near
// store first, then the far one; what comes from far is kept in near: directories as whole
// trees, and path infos together with their contents (a store may refuse a PathInfo whose
// contents it lacks). Blobs asked for alone are read through without copying, as Tvix's
// combined blob service does. Writes go to near only: far is read-only here.
//
// Composition files combine single services, which know nothing of each other's contents; their
// path info cache keeps only the PathInfo near, as Tvix's does.
import type { BlobService } from "../../castore/blob-service.ts";
import type { B3Digest } from "../../castore/digest.ts";
import type { Directory } from "../../castore/directory.ts";
import type { DirectoryService } from "../../castore/directory-service.ts";
import { putDirectories } from "../../castore/directory-service.ts";
import { CastoreError } from "../../castore/errors.ts";
import { copyPathContents } from "../closure.ts";
import { type OpenOptions, type Store, openStore } from "../composition.ts";
import type { PathInfo } from "../path-info.ts";
import type { PathInfoService } from "../path-info-service.ts";

function cachedBlobs(near: BlobService, far: BlobService): BlobService {
  return {
    has: async (digest) => (await near.has(digest)) || far.has(digest),
    chunks: async (digest) => (await near.chunks(digest)) ?? far.chunks(digest),
    read: async (digest) => (await near.read(digest)) ?? far.read(digest),
    openWrite: () => near.openWrite(),
    close: async () => {},
  };
}

function cachedDirectories(near: DirectoryService, far: DirectoryService): DirectoryService {
  /** Copies the tree below `digest` from far into near; false if far lacks it too. */
  const fetchTree = async (digest: B3Digest): Promise<boolean> => {
    const rootToLeaves: Directory[] = [];
    for await (const directory of far.getRecursive(digest)) rootToLeaves.push(directory);
    if (rootToLeaves.length === 0) return false;
    await putDirectories(near, rootToLeaves.reverse());
    return true;
  };
  return {
    get: async (digest) => (await near.get(digest)) ?? ((await fetchTree(digest)) ? near.get(digest) : undefined),
    async *getRecursive(root) {
      let found = false;
      for await (const directory of near.getRecursive(root)) {
        found = true;
        yield directory;
      }
      if (!found && (await fetchTree(root))) yield* near.getRecursive(root);
    },
    putMultiple: () => near.putMultiple(),
    close: async () => {},
  };
}

/** `keepContents` brings a far path's contents near before its PathInfo is put there. */
function cachedPathInfos(near: PathInfoService, far: PathInfoService, keepContents?: (info: PathInfo) => Promise<void>): PathInfoService {
  return {
    get: async (digest): Promise<PathInfo | undefined> => {
      const cached = await near.get(digest);
      if (cached !== undefined) return cached;
      const info = await far.get(digest);
      if (info === undefined) return undefined;
      await keepContents?.(info);
      return near.put(info);
    },
    put: (info) => near.put(info),
    list: () => near.list(),
    close: async () => {},
  };
}

export async function openCacheStore(url: URL, options: OpenOptions): Promise<Store> {
  const nearUrl = url.searchParams.get("near");
  const farUrl = url.searchParams.get("far");
  if (nearUrl === null || farUrl === null) {
    throw new CastoreError("invalid-argument", `'${url.href}': a cache:// store needs ?near=URL&far=URL (URL-encoded)`);
  }
  const near = await openStore(nearUrl, options);
  let far: Store;
  try {
    far = await openStore(farUrl, options);
  } catch (err) {
    await near.close();
    throw err;
  }
  return cacheStore(near, far);
}

/** Each service of the near store in front of the same service of the far one. */
export const cacheServices: { [K in "blobs" | "directories" | "pathInfos"]: (near: Store[K], far: Store[K]) => Store[K] } = {
  blobs: cachedBlobs,
  directories: cachedDirectories,
  pathInfos: (near, far) => cachedPathInfos(near, far),
};

/** The near store in front of the far one; closing it closes both. */
export function cacheStore(near: Store, far: Store): Store {
  return {
    blobs: cachedBlobs(near.blobs, far.blobs),
    directories: cachedDirectories(near.directories, far.directories),
    pathInfos: cachedPathInfos(near.pathInfos, far.pathInfos, (info) => copyPathContents(info, far, near)),
    close: async () => {
      await Promise.all([near.close(), far.close()]);
    },
  };
}
