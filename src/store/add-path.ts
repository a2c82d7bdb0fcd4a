// Adding a local file or tree to a store as `nix-store --add` and `nix-store --add-fixed
// [--recursive] ALGO` do: ingest it into castore, compute the fixed-output store path from the
// hash of its NAR (recursive) or of its contents (flat), and put a PathInfo with that content
// address and no references. Hashes are computed from what was ingested, not from a second read
// of the disk, so the path always describes the stored contents.
import { basename, resolve } from "node:path";
import { CastoreError } from "../castore/errors.ts";
import { ingestPath } from "../castore/fs/ingest.ts";
import { fileContents } from "../castore/fs/render.ts";
import { utf8ToBytes } from "../nix-compat/byte-string.ts";
import { type Hash, type HashAlgo, Hasher } from "../nix-compat/hash.ts";
import { DEFAULT_STORE_DIR, type FileIngestionMethod, makeFixedOutputPath, type StorePath } from "../nix-compat/store-path.ts";
import type { Store } from "./composition.ts";
import { hashNar } from "./nar/render.ts";
import type { PathInfo } from "./path-info.ts";

export interface AddPathOptions {
  /** The store path's name (default: the base name of the path). */
  name?: string;
  /** `recursive` (default) hashes the NAR; `flat` the contents of a single regular file. */
  method?: FileIngestionMethod;
  /** The content address's hash algorithm (default sha256). */
  algo?: HashAlgo;
  /** Nix's store directory the path is computed for (default /nix/store). */
  storeDir?: string;
  /** Recursive only: which entries below the root go in (ingestPath's filter, Nix's PathFilter). */
  filter?: (relativePath: string) => boolean;
  /** The store path the caller computed: if the contents give another, nothing is stored and this throws. */
  expect?: StorePath;
}

/** Adds `path` to `store`; returns the PathInfo as stored (the existing one if already there). */
export async function addLocalPath(store: Store, path: string, options: AddPathOptions = {}): Promise<PathInfo> {
  const method = options.method ?? "recursive";
  const algo = options.algo ?? "sha256";
  const name = options.name ?? utf8ToBytes(basename(resolve(path)));
  const node = await ingestPath(path, store.blobs, store.directories, { filter: options.filter });
  const { narSize, hashes } = await hashNar(node, store.blobs, store.directories, algo === "sha256" || method === "flat" ? ["sha256"] : ["sha256", algo]);
  let hash: Hash;
  if (method === "flat") {
    if (node.kind !== "file") throw new CastoreError("invalid-argument", `cannot add '${path}' flat: it is a ${node.kind}, not a regular file`);
    // The flat hash covers the bytes of the file itself: read them back from the store.
    const hasher = new Hasher(algo);
    for await (const chunk of fileContents(store.blobs, node, path)) hasher.update(chunk);
    hash = hasher.finish();
  } else {
    hash = hashes.at(-1)!;
  }
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const storePath = makeFixedOutputPath(name, method, hash, { storeDir });
  if (options.expect !== undefined && !storePath.equals(options.expect)) {
    throw new CastoreError("invalid-argument", `'${path}' changed: it would be '${storePath.toAbsolute(storeDir)}', not '${options.expect.toAbsolute(storeDir)}'`);
  }
  const existing = await store.pathInfos.get(storePath.digest);
  if (existing) return existing;
  return store.pathInfos.put({
    storePath,
    node,
    references: [],
    narSize,
    narSha256: new Uint8Array(hashes[0].digest),
    signatures: [],
    ca: { method, hash },
  });
}
