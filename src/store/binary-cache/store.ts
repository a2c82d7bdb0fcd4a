// `nix+http://HOST/…`, `nix+https://…` and `file:///DIR`: a Nix binary cache as a read source.
// Its blobs and directories live in memory (they fill as paths are fetched); the one query
// parameter is `trusted-public-keys` (space-separated, as in nix.conf).
import { MemoryBlobService } from "../../castore/memory/blob-service.ts";
import { MemoryDirectoryService } from "../../castore/memory/directory-service.ts";
import { CastoreError } from "../../castore/errors.ts";
import { NixCompatError } from "../../nix-compat/errors.ts";
import { type TrustedKeys, parseTrustedKeys } from "../../nix-compat/signing.ts";
import { type OpenOptions, type Store, storeOf } from "../composition.ts";
import { BinaryCachePathInfoService } from "./path-info-service.ts";
import { type CacheSource, FileCacheSource, HttpCacheSource } from "./source.ts";

const KEYS_PARAMETER = "trusted-public-keys";

function trustedKeysOf(url: URL): TrustedKeys | undefined {
  for (const name of url.searchParams.keys()) {
    if (name !== KEYS_PARAMETER) throw new CastoreError("invalid-argument", `'${url.href}': unknown parameter '${name}' (a binary cache takes only ${KEYS_PARAMETER})`);
  }
  const keys = url.searchParams.getAll(KEYS_PARAMETER);
  if (keys.length === 0) return undefined;
  try {
    return parseTrustedKeys(keys.join(" "));
  } catch (err) {
    if (!(err instanceof NixCompatError)) throw err;
    throw new CastoreError("invalid-argument", `'${url.href}': ${KEYS_PARAMETER}: ${err.message}`, { cause: err });
  }
}

function openCache(source: CacheSource, url: URL, options: OpenOptions): Store {
  const blobs = new MemoryBlobService();
  const directories = new MemoryDirectoryService();
  const pathInfos = new BinaryCachePathInfoService(source, blobs, directories, { trustedKeys: trustedKeysOf(url), storeDir: options.storeDir });
  return storeOf(blobs, directories, pathInfos);
}

/** `nix+http://…`, `nix+https://…` */
export async function openHttpCacheStore(url: URL, options: OpenOptions): Promise<Store> {
  if (url.protocol !== "nix+http:" && url.protocol !== "nix+https:") {
    throw new CastoreError("invalid-argument", `'${url.href}': a Nix HTTP binary cache URL is nix+http://… or nix+https://…`);
  }
  if (url.host === "") throw new CastoreError("invalid-argument", `'${url.href}': no host`);
  const base = `${url.protocol.slice("nix+".length)}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  return openCache(new HttpCacheSource(base), url, options);
}

/** `file:///DIR`: a cache written by `nix copy --to file:///DIR`. */
export async function openFileCacheStore(url: URL, options: OpenOptions): Promise<Store> {
  if (url.protocol !== "file:") throw new CastoreError("invalid-argument", `'${url.href}': a binary cache directory is file:///DIR`);
  if (url.host !== "") throw new CastoreError("invalid-argument", `'${url.href}': a file:// URL takes no host (file:///DIR)`);
  const root = decodeURIComponent(url.pathname).replace(/\/+$/, "") || "/";
  return openCache(new FileCacheSource(root), url, options);
}
