// `local:///ABS/DIR`: the embedded store, the default one (under $XDG_DATA_HOME/tvix-ts/store).
//
//   DIR/blobs/<2 hex>/<hex digest>   one file per blob (castore/local/blob-service.ts)
//   DIR/blobs/tmp/                   blobs being written
//   DIR/meta.lmdb (+ -lock)          LMDB: databases `directories` and `pathinfos`
//
// Files suit blobs (large, streamed, written once); LMDB suits the small metadata records: one
// memory-mapped file with atomic, crash-proof transactions that several processes (a daemon and
// a CLI) may open at once. Its durability options (noSync, noMetaSync, mapAsync, useWritemap)
// stay at their safe defaults: a store that loses committed paths on a power cut is no store.
import { mkdir } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { type RootDatabase, open } from "lmdb";
import { fileError, LocalBlobService } from "../../castore/local/blob-service.ts";
import { LocalDirectoryService } from "../../castore/local/directory-service.ts";
import { CastoreError } from "../../castore/errors.ts";
import type { Store } from "../composition.ts";
import { LocalPathInfoService } from "./path-info-service.ts";

/** The directory a `local:` URL names; only absolute paths on this machine. */
export function localStoreDirectory(url: URL): string {
  const refuse = (why: string): never => {
    throw new CastoreError("invalid-argument", `invalid store URL '${url.href}': ${why}; expected local:///ABSOLUTE/DIRECTORY`);
  };
  if (url.host !== "") refuse(`'${url.host}' is not part of the path (a local store has no host)`);
  if (url.search !== "" || url.hash !== "") refuse("a local store takes no query or fragment");
  let path = "";
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    refuse("the path has a malformed %-escape");
  }
  if (!isAbsolute(path)) refuse("the path must be absolute");
  if (path === "/") refuse("the root directory cannot be a store");
  return path;
}

function openMetadata(path: string): RootDatabase {
  try {
    return open({ path, noSubdir: true, maxDbs: 4 });
  } catch (err) {
    throw new CastoreError("unavailable", `cannot open the store's metadata database '${path}': ${(err as Error).message}`, { cause: err });
  }
}

export async function openLocalStore(url: URL): Promise<Store> {
  const dir = localStoreDirectory(url);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw fileError("cannot create the local store", dir, err);
  }
  const blobs = await LocalBlobService.open(join(dir, "blobs"));
  const env = openMetadata(join(dir, "meta.lmdb"));
  const directories = new LocalDirectoryService(env);
  const pathInfos = new LocalPathInfoService(env, { blobs, directories });
  let closed: Promise<void> | undefined;
  return {
    blobs,
    directories,
    pathInfos,
    close: () =>
      (closed ??= (async () => {
        await Promise.all([blobs.close(), directories.close(), pathInfos.close()]);
        await env.close();
      })()),
  };
}
