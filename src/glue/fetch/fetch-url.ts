// builtins.fetchurl and builtins.fetchTarball (and fetchTree's tarball inputs), as Nix 2.8's
// `fetch` in fetchTree.cc: a URL (or { url, sha256?, name? }) is downloaded, and for
// fetchTarball unpacked; the result is a store path (flat for a file, recursive for the
// unpacked tree). With a sha256 the path is known in advance: nothing is fetched when the
// store or the cache has it, and what is fetched must match.
import { builtin, type Builtin } from "../../eval/builtins/registry.ts";
import { EvalError, PlainError } from "../../eval/errors.ts";
import { forceStringNoContext } from "../../eval/runtime/force.ts";
import { NixAttrs } from "../../eval/value/attrs.ts";
import { ContextString } from "../../eval/value/string.ts";
import { force } from "../../eval/value/thunk.ts";
import type { Value } from "../../eval/value/value.ts";
import { encodeBytes, utf8ToBytes } from "../../nix-compat/byte-string.ts";
import { type Hash, hashFile, parseHash } from "../../nix-compat/hash.ts";
import { narHash } from "../../nix-compat/nar/writer.ts";
import { type FileIngestionMethod, makeFixedOutputPath } from "../../nix-compat/store-path.ts";
import { baseNameOf } from "../../nix-compat/path-names.ts";
import { parseHashAllowEmpty } from "../hash-argument.ts";
import { nixCompat } from "../nix-compat-errors.ts";
import type { GlueServices } from "../services.ts";
import { downloadToFile } from "./download.ts";
import { type CacheEntry, FetchCache } from "./fetch-cache.ts";
import type { InputScheme } from "./fetch-tree.ts";
import { Input, type InputAttr, parseUrl, urlToString } from "./input.ts";
import { unpackTarball } from "./unpack-tarball.ts";

interface FetchRequest {
  url: string;
  name: string;
  expectedHash?: Hash;
}

/** Nix's resolveUri: `channel:NAME` is a NixOS channel's tarball. */
function resolveUri(url: string): string {
  return url.startsWith("channel:") ? `https://nixos.org/channels/${url.slice("channel:".length)}/nixexprs.tar.xz` : url;
}

function parseRequest(services: GlueServices, arg: Value, who: string, defaultName: string): FetchRequest {
  const v = force(arg);
  let url: string | undefined;
  let name = defaultName;
  let expectedHash: Hash | undefined;
  if (v instanceof NixAttrs) {
    v.names.forEach((key, i) => {
      try {
        if (key === "url") url = forceStringNoContext(v.values[i]);
        else if (key === "sha256") expectedHash = parseHashAllowEmpty(services, forceStringNoContext(v.values[i]), "sha256");
        else if (key === "name") name = forceStringNoContext(v.values[i]);
        else throw new EvalError(`unsupported argument '${key}' to '${who}'`);
      } catch (err) {
        if (err instanceof EvalError) err.atPos(v.posAt(i));
        throw err;
      }
    });
    if (url === undefined) throw new EvalError("'url' argument required");
  } else {
    url = forceStringNoContext(v);
  }
  url = resolveUri(url);
  return { url, name: name === "" ? baseNameOf(url) : name, expectedHash };
}

/** Where an entry keeps its content: the file, or the unpacked tree (as byte strings). */
function contentPath(entry: CacheEntry): string {
  return `${utf8ToBytes(entry.dir)}/${entry.info.content as string}`;
}

/** Nix's downloadFile: the URL's content as a flat store path (cached). */
function downloadFile(services: GlueServices, cache: FetchCache, url: string, name: string, locked: boolean): { entry: CacheEntry; hash: Hash } {
  const key = { type: "file", url, name };
  let entry = cache.lookup(key);
  if (entry === undefined) {
    const scratch = cache.scratch();
    const result = downloadToFile(url, `${scratch}/file`, services.warn);
    const hash = hashFile("sha256", `${utf8ToBytes(scratch)}/file`);
    const storePath = nixCompat(() => makeFixedOutputPath(name, "flat", hash, { storeDir: services.store.storeDir }).toAbsolute(services.store.storeDir));
    entry = cache.commit(key, scratch, { storePath, fetchedAt: Date.now() / 1000, locked, content: "file", hash: hash.toSri(), ...result });
  }
  return { entry, hash: hashOf(entry) };
}

/** Nix's downloadTarball: the unpacked tree of the URL's archive as a recursive store path (cached). */
function downloadTarball(services: GlueServices, cache: FetchCache, url: string, name: string, locked: boolean): { entry: CacheEntry; hash: Hash } {
  const key = { type: "tarball", url, name };
  let entry = cache.lookup(key);
  if (entry === undefined) {
    const file = downloadFile(services, cache, url, name, locked);
    record(services, file.entry, name, "flat", file.hash);
    const scratch = cache.scratch();
    const top = unpackTarball(`${file.entry.dir}/file`, `${scratch}/tree`, url);
    const hash = nixCompat(() => narHash(encodeBytes(top)).hash);
    const storePath = nixCompat(() => makeFixedOutputPath(name, "recursive", hash, { storeDir: services.store.storeDir }).toAbsolute(services.store.storeDir));
    const content = top.slice(utf8ToBytes(scratch).length + 1);
    entry = cache.commit(key, scratch, { storePath, fetchedAt: Date.now() / 1000, locked, content, hash: hash.toSri() });
  }
  return { entry, hash: hashOf(entry) };
}

function hashOf(entry: CacheEntry): Hash {
  return nixCompat(() => parseHash(entry.info.hash as string));
}

/** Records a cache entry's content as a path the store will have. */
function record(services: GlueServices, entry: CacheEntry, name: string, method: FileIngestionMethod, hash: Hash): string {
  return services.store.addHashed(name, contentPath(entry), method, hash);
}

function fetch(services: GlueServices, arg: Value, who: "fetchurl" | "fetchTarball"): ContextString {
  const unpack = who === "fetchTarball";
  const method: FileIngestionMethod = unpack ? "recursive" : "flat";
  const { url, name, expectedHash } = parseRequest(services, arg, who, unpack ? "source" : "");
  const { store } = services;
  const cache = new FetchCache(services.cacheDir);
  const result = (path: string): ContextString => new ContextString(path, new Set([path]));
  if (expectedHash !== undefined) {
    const expected = nixCompat(() => makeFixedOutputPath(name, method, expectedHash, { storeDir: store.storeDir }).toAbsolute(store.storeDir));
    if (store.isOnDisk(expected)) return result(expected);
    const cached = cache.lookupStorePath(expected);
    if (cached !== undefined) return result(record(services, cached, name, method, expectedHash));
  }
  const locked = expectedHash !== undefined;
  const { entry, hash } = unpack ? downloadTarball(services, cache, url, name, locked) : downloadFile(services, cache, url, name, locked);
  if (expectedHash !== undefined && !hash.equals(expectedHash)) {
    const err = new PlainError(`hash mismatch in file downloaded from '${url}':\n  specified: ${expectedHash.format("nix32")}\n  got:       ${hash.format("nix32")}`);
    err.status = 102;
    throw err;
  }
  return result(record(services, entry, name, method, hash));
}

const TARBALL_SUFFIXES = [".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst"];

/** fetchTree's tarball inputs (Nix's TarballInputScheme): the unpacked tree, as fetchTarball has it. */
export const tarballScheme: InputScheme = {
  type: "tarball",
  fromUrl(url) {
    if (!["file", "http", "https"].includes(url.scheme) || !TARBALL_SUFFIXES.some((suffix) => url.path.endsWith(suffix))) return undefined;
    const attrs = new Map<string, InputAttr>([["type", "tarball"], ["url", urlToString(url)]]);
    const narHash = url.query.get("narHash");
    if (narHash !== undefined) attrs.set("narHash", narHash);
    return new Input(attrs);
  },
  check(input) {
    for (const name of input.attrs.keys()) {
      if (!["type", "url", "narHash", "name"].includes(name)) throw new PlainError(`unsupported tarball input attribute '${name}'`);
    }
  },
  toUrl(input) {
    const url = parseUrl(input.str("url"));
    const narHash = input.narHash;
    return urlToString(narHash === undefined ? url : { ...url, query: new Map([...url.query, ["narHash", narHash.toSri()]]) });
  },
  fetch(services, input) {
    const name = input.name;
    const { entry, hash } = downloadTarball(services, new FetchCache(services.cacheDir), input.str("url"), name, false);
    return { storePath: record(services, entry, name, "recursive", hash), narHash: hash, input };
  },
};

export function fetchUrlBuiltins(services: GlueServices): Builtin[] {
  return [
    builtin("__fetchurl", 1, (_state, arg) => fetch(services, arg, "fetchurl")),
    builtin("fetchTarball", 1, (_state, arg) => fetch(services, arg, "fetchTarball")),
  ];
}
