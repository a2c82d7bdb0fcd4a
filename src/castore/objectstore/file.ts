// `objectstore+file:///DIR`: the object-store layout on a local file system, one file per key
// below DIR. A put writes a temporary file beside the target and renames it into place, so a
// reader (or a process killed half-way) never sees a partial object.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, rename, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { CastoreError } from "../errors.ts";
import type { ObjectStore } from "./object-store.ts";

const TEMP_PREFIX = ".tmp-";

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function failed(what: string, path: string, err: unknown): CastoreError {
  return new CastoreError("unavailable", `${what} ${path}: ${(err as Error).message}`, { cause: err });
}

export class FileObjectStore implements ObjectStore {
  private readonly root: string;
  /** Folders known to exist, to skip a mkdir per put. */
  private readonly madeFolders = new Set<string>();

  constructor(root: string) {
    this.root = root;
  }

  private path(key: string): string {
    return join(this.root, key);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const bytes = await readFile(this.path(key));
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw failed("cannot read", this.path(key), err);
    }
  }

  async head(key: string): Promise<boolean> {
    try {
      return (await stat(this.path(key))).isFile();
    } catch (err) {
      if (isMissing(err)) return false;
      throw failed("cannot stat", this.path(key), err);
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const path = this.path(key);
    const folder = dirname(path);
    const temp = join(folder, `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
    try {
      if (!this.madeFolders.has(folder)) {
        await mkdir(folder, { recursive: true });
        this.madeFolders.add(folder);
      }
      await writeFile(temp, data, { flag: "wx" });
      await rename(temp, path);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw failed("cannot write", path, err);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.path(key));
    } catch (err) {
      if (!isMissing(err)) throw failed("cannot delete", this.path(key), err);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    yield* this.walk(prefix.replace(/\/$/, ""));
  }

  private async *walk(folder: string): AsyncIterable<string> {
    let entries;
    try {
      entries = await readdir(this.path(folder), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw failed("cannot list", this.path(folder), err);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const key = folder === "" ? entry.name : `${folder}/${entry.name}`;
      if (entry.isDirectory()) yield* this.walk(key);
      else if (entry.isFile() && !entry.name.startsWith(TEMP_PREFIX)) yield key;
    }
  }

  async close(): Promise<void> {}
}

export async function openFileObjectStore(url: URL): Promise<FileObjectStore> {
  const path = decodeURIComponent(url.pathname);
  if ((url.host !== "" && url.host !== "localhost") || !isAbsolute(path) || url.search !== "") {
    throw new CastoreError("invalid-argument", `'${url.href}': expected objectstore+file:///ABSOLUTE/DIR (no host, no query)`);
  }
  return new FileObjectStore(path);
}
