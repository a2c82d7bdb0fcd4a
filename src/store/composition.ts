// Opening a store from one URL, as Tvix does: the scheme (before any `+`) picks the backend,
// which provides the three services a store is made of. Backends are loaded lazily so that a
// command pays only for the one it uses.
import type { BlobService } from "../castore/blob-service.ts";
import type { DirectoryService } from "../castore/directory-service.ts";
import { CastoreError } from "../castore/errors.ts";
import type { PathInfoService } from "./path-info-service.ts";

export interface Store {
  readonly blobs: BlobService;
  readonly directories: DirectoryService;
  readonly pathInfos: PathInfoService;
  /** Closes the three services (and whatever they share). */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Nix's store directory (default /nix/store; NIX_STORE_DIR). */
  storeDir?: string;
}

type Opener = (url: URL, options: OpenOptions) => Promise<Store>;

/** Backends by URL scheme; each entry loads its module on first use. */
const backends: Record<string, () => Promise<Opener>> = {
  memory: async () => (await import("./memory/store.ts")).openMemoryStore,
  local: async () => (await import("./local/store.ts")).openLocalStore,
  cache: async () => (await import("./cache/store.ts")).openCacheStore,
  objectstore: async () => (await import("./objectstore/store.ts")).openObjectStore,
  grpc: async () => (await import("./grpc/store.ts")).openGrpcStore,
  nix: async () => (await import("./binary-cache/store.ts")).openHttpCacheStore,
  file: async () => (await import("./binary-cache/store.ts")).openFileCacheStore,
};

/** Combines three services into a Store that closes each once. */
export function storeOf(blobs: BlobService, directories: DirectoryService, pathInfos: PathInfoService): Store {
  return {
    blobs,
    directories,
    pathInfos,
    close: async () => {
      await Promise.all([blobs.close(), directories.close(), pathInfos.close()]);
    },
  };
}

export async function openStore(url: string, options: OpenOptions = {}): Promise<Store> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CastoreError("invalid-argument", `invalid store URL '${url}'`);
  }
  const scheme = parsed.protocol.slice(0, -1);
  const kind = scheme.split("+")[0];
  const load = Object.hasOwn(backends, kind) ? backends[kind] : undefined;
  if (load === undefined) {
    throw new CastoreError("invalid-argument", `unknown store URL scheme '${scheme}' in '${url}'; known: ${Object.keys(backends).join(", ")}`);
  }
  return (await load())(parsed, options);
}
