// NAR files uploaded to `tvix store serve` (`PUT /nar/…`, as `nix copy --to http://…` does),
// kept in a staging directory until the narinfo that describes them arrives: only then is it
// known how the file is compressed and what it must hash to. A file is staged atomically (written
// under a temporary name, renamed when complete), so a broken-off upload leaves nothing.
//
// Once a narinfo has taken a file in, the file is dropped, but its name stays known, with the
// store path and NAR hash it became (in memory and in an index file in the directory): Nix keeps
// the narinfo it uploaded in its own cache and later fetches the NAR by the uploaded name, and a
// second narinfo may name the same file (two paths with equal contents, uploaded side by side).
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { appendFile, mkdir, mkdtemp, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CastoreError } from "../../castore/errors.ts";
import { Hash } from "../../nix-compat/hash.ts";
import * as nixbase32 from "../../nix-compat/nixbase32.ts";

/** What a taken-in upload became. */
export interface TakenUpload {
  /** The store path's hash part. */
  hashPart: string;
  narHash: Hash;
}

// `nar/<name>` as Nix names NAR files (`nar/<file hash>.nar.xz`); one level, no dot files.
const UPLOAD_NAME = /^nar\/([A-Za-z0-9+_-][A-Za-z0-9+_.=-]{0,200})$/;
const INDEX_FILE = ".taken";

export class NarUploads {
  private readonly directory: string;
  private readonly ownsDirectory: boolean;
  private readonly taken: Map<string, TakenUpload>;

  private constructor(directory: string, ownsDirectory: boolean, taken: Map<string, TakenUpload>) {
    this.directory = directory;
    this.ownsDirectory = ownsDirectory;
    this.taken = taken;
  }

  /** Stages in `directory` (kept, with its index), or in a fresh temporary one removed by `close`. */
  static async open(directory?: string): Promise<NarUploads> {
    if (directory === undefined) return new NarUploads(await mkdtemp(join(tmpdir(), "tvix-serve-uploads-")), true, new Map());
    await mkdir(directory, { recursive: true });
    return new NarUploads(directory, false, await readIndex(join(directory, INDEX_FILE)));
  }

  /** Whether `path` (relative to the cache root) can name an upload, e.g. `nar/….nar.xz`. */
  static isUploadPath(path: string): boolean {
    return UPLOAD_NAME.test(path);
  }

  private file(path: string): string {
    const match = UPLOAD_NAME.exec(path);
    if (!match) throw new CastoreError("invalid-argument", `'${path}' is not a NAR file name of the form nar/NAME`);
    return join(this.directory, match[1]);
  }

  /** Writes `body` as `path`, replacing an earlier upload of that name; `expectedSize` from Content-Length. */
  async stage(path: string, body: Readable, expectedSize: number | undefined): Promise<void> {
    const file = this.file(path);
    const temporary = `${file}.part-${randomBytes(6).toString("hex")}`;
    try {
      await pipeline(body, createWriteStream(temporary, { flags: "wx" }));
      const { size } = await stat(temporary);
      if (expectedSize !== undefined && size !== expectedSize) {
        throw new CastoreError("invalid-argument", `upload of '${path}' has ${size} bytes, but Content-Length said ${expectedSize}`);
      }
      await rename(temporary, file);
    } catch (err) {
      await unlink(temporary).catch(() => {});
      throw err;
    }
  }

  /** The staged file's bytes and size, undefined if none waits under `path`. */
  async openStaged(path: string): Promise<{ stream: AsyncIterable<Uint8Array>; size: number } | undefined> {
    const file = this.file(path);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      return undefined;
    }
    return { stream: createReadStream(file, { highWaterMark: 1 << 20 }), size };
  }

  /** What `path` became, if a narinfo took it in. */
  takenAs(path: string): TakenUpload | undefined {
    return this.taken.get(path);
  }

  /** Records that `path` became `upload` and drops the staged file. */
  async take(path: string, upload: TakenUpload): Promise<void> {
    const file = this.file(path);
    this.taken.set(path, upload);
    await appendFile(join(this.directory, INDEX_FILE), `${path} ${upload.hashPart} ${upload.narHash.encode("nix32")}\n`);
    await unlink(file).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.ownsDirectory) await rm(this.directory, { recursive: true, force: true });
  }
}

/** The index: `<upload path> <hash part> <NAR hash nix32>` lines; a later line wins. */
async function readIndex(file: string): Promise<Map<string, TakenUpload>> {
  const taken = new Map<string, TakenUpload>();
  let text: string;
  try {
    text = await readFile(file, "latin1");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return taken;
    throw err;
  }
  // A line cut short by a crash is skipped.
  for (const line of text.split("\n")) {
    const [path, hashPart, narHash] = line.split(" ");
    if (!UPLOAD_NAME.test(path) || hashPart?.length !== 32 || !nixbase32.isNixBase32(hashPart) || narHash?.length !== 52 || !nixbase32.isNixBase32(narHash)) continue;
    taken.set(path, { hashPart, narHash: new Hash("sha256", nixbase32.decode(narHash)) });
  }
  return taken;
}
