// Where a binary cache's files come from: an HTTP(S) server or a directory. Files are named by
// paths relative to the cache root (`nix-cache-info`, `<hash>.narinfo`, `nar/…`); a path from a
// narinfo's URL is untrusted and may not leave the cache (no `..`, no absolute paths).
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { CastoreError } from "../../castore/errors.ts";

export interface CacheSource {
  /** The cache as the user named it, for messages. */
  readonly description: string;
  /** The file's bytes, undefined if the cache does not have it. */
  read(path: string): Promise<AsyncIterable<Uint8Array> | undefined>;
  /** Names of the narinfo files, if the cache can list them. */
  listNarInfos(): AsyncIterable<string>;
}

/** Refuses paths that could reach outside the cache root. */
export function checkCachePath(path: string, description: string): void {
  const segments = path.split("/");
  if (path === "" || path.startsWith("/") || segments.some((s) => s === "" || s === "." || s === "..") || /[?#\\\0]/.test(path) || path.includes("://")) {
    throw new CastoreError("data-loss", `binary cache ${description}: refusing file path '${path}' (not a plain relative path)`);
  }
}

export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

export class HttpCacheSource implements CacheSource {
  readonly description: string;
  private readonly base: string;

  /** `base` is the cache's http(s) URL (without query). */
  constructor(base: string) {
    this.base = base.endsWith("/") ? base : `${base}/`;
    this.description = base;
  }

  async read(path: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    checkCachePath(path, this.description);
    const url = this.base + path;
    let response: Response;
    try {
      response = await fetch(url);
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause;
      throw new CastoreError("unavailable", `unable to download '${url}': ${cause?.message ?? (err as Error).message}`, { cause: err });
    }
    // Nix reads 403 as "no such file" too (S3 answers it for missing objects without list rights).
    if (response.status === 404 || response.status === 403 || response.status === 410) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw new CastoreError("unavailable", `unable to download '${url}': HTTP error ${response.status} ${response.statusText}`);
    }
    return downloadErrors(response.body, url);
  }

  async *listNarInfos(): AsyncIterable<string> {
    throw new CastoreError("invalid-argument", `binary cache ${this.description}: an HTTP binary cache cannot list its store paths`);
  }
}

/** A download that breaks off ends with an `unavailable` error naming the URL. */
async function* downloadErrors(body: AsyncIterable<Uint8Array>, url: string): AsyncIterable<Uint8Array> {
  try {
    yield* body;
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause;
    throw new CastoreError("unavailable", `unable to download '${url}': ${cause?.message ?? (err as Error).message}`, { cause: err });
  }
}

export class FileCacheSource implements CacheSource {
  readonly description: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = root;
    this.description = `file://${root}`;
  }

  async read(path: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    checkCachePath(path, this.description);
    const file = join(this.root, path);
    try {
      if (!(await stat(file)).isFile()) return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
      throw new CastoreError("unavailable", `binary cache ${this.description}: ${(err as Error).message}`, { cause: err });
    }
    return createReadStream(file, { highWaterMark: 1 << 20 });
  }

  async *listNarInfos(): AsyncIterable<string> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (err) {
      throw new CastoreError("unavailable", `binary cache ${this.description}: ${(err as Error).message}`, { cause: err });
    }
    yield* names.filter((n) => n.endsWith(".narinfo")).sort();
  }
}
