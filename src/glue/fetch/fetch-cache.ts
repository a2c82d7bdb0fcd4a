// The fetchers' cache, standing in for Nix's fetcher cache plus the store paths it points
// to: one directory per request (what was asked: type, URL, name…), holding the fetched
// file or tree and what is known about it. Entries for requests without an expected hash
// expire after an hour (Nix's tarball-ttl); with one they are kept for good. An index by
// store path lets a fetch with a known hash find its result without asking the network.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hashBytes } from "../../nix-compat/hash.ts";

/** Nix's tarball-ttl default, in seconds. */
const TTL_SECONDS = 3600;

export interface CacheInfo {
  storePath: string;
  /** Unix time of the fetch. */
  fetchedAt: number;
  locked: boolean;
  /** Anything else the fetcher wants back (etag, rev, revCount, lastModified…). */
  [key: string]: unknown;
}

export interface CacheEntry {
  dir: string;
  info: CacheInfo;
}

export class FetchCache {
  private readonly root: string;

  constructor(cacheDir: string) {
    this.root = cacheDir;
  }

  private entryDir(key: Record<string, string | boolean>): string {
    const id = hashBytes("sha256", JSON.stringify(Object.entries(key).sort())).encode("nix32");
    return `${this.root}/fetch/${id}`;
  }

  /** The entry for `key`, unless it is missing or expired. */
  lookup(key: Record<string, string | boolean>): CacheEntry | undefined {
    const dir = this.entryDir(key);
    const info = readInfo(dir);
    if (info === undefined) return undefined;
    if (!info.locked && Date.now() / 1000 - info.fetchedAt >= TTL_SECONDS) return undefined;
    return { dir, info };
  }

  /** The entry that produced `storePath`, if one did. */
  lookupStorePath(storePath: string): CacheEntry | undefined {
    const index = `${this.root}/by-store-path/${storePath.slice(storePath.lastIndexOf("/") + 1)}`;
    if (!existsSync(index)) return undefined;
    const dir = readFileSync(index, "utf8");
    const info = readInfo(dir);
    return info === undefined ? undefined : { dir, info };
  }

  /** A new directory to fetch into; `commit` makes it the entry for `key`. */
  scratch(): string {
    mkdirSync(`${this.root}/tmp`, { recursive: true });
    return mkdtempSync(`${this.root}/tmp/fetch-`);
  }

  /** Makes `scratch` (with what was fetched into it) the entry for `key`, replacing any old one. */
  commit(key: Record<string, string | boolean>, scratch: string, info: CacheInfo): CacheEntry {
    const dir = this.entryDir(key);
    writeFileSync(`${scratch}/info.json`, JSON.stringify(info));
    mkdirSync(`${this.root}/fetch`, { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(scratch, dir);
    mkdirSync(`${this.root}/by-store-path`, { recursive: true });
    writeFileSync(`${this.root}/by-store-path/${info.storePath.slice(info.storePath.lastIndexOf("/") + 1)}`, dir);
    return { dir, info };
  }
}

function readInfo(dir: string): CacheInfo | undefined {
  try {
    return JSON.parse(readFileSync(`${dir}/info.json`, "utf8")) as CacheInfo;
  } catch {
    return undefined;
  }
}
