// Local blobs: one file per blob, `DIR/<first 2 hex digits>/<hex digest>`, so that the
// filesystem does the storing and reading is a plain file read. The 256 shard directories keep
// any one directory small enough for fast lookups.
//
// A blob is first written to `DIR/tmp/<pid>-<random>` (same filesystem, so the final rename is
// atomic), hashed while it is written, fsync'd, then renamed to its digest: a crash at any point
// leaves at most a temporary file, never a blob file with wrong contents. Temporary files of
// processes that no longer run are removed when a store is opened; the pid in the name is what
// lets several processes (a daemon and a CLI) share one directory without deleting each other's
// writes in progress. Two writers of the same contents both rename onto the same name, which is
// harmless: the bytes are identical.
//
// The rename itself becomes durable only when its directory is fsync'd. Doing that for every
// blob would double the cost of small files, so the shard directories touched are remembered and
// fsync'd together by `sync()`, which the store calls before it records anything that refers to
// these blobs (see store/local/path-info-service.ts).
import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, fsync, mkdirSync, openSync, read, readSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { mkdir, open, readdir, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { strerror } from "../../nix-compat/strerror.ts";
import { type BlobService, type BlobWriter, type ChunkMeta, checkWriterOpen } from "../blob-service.ts";
import { type B3Digest, Blake3Hasher, checkDigest, digestEquals, digestHex, formatDigest } from "../digest.ts";
import { CastoreError } from "../errors.ts";

const TMP = "tmp";
const READ_BUFFER = 1 << 20;
/** Blobs up to this size are read synchronously (see readVerified). */
const SMALL_BLOB = 64 << 10;
const readAsync = promisify(read);
const fsyncAsync = promisify(fsync);

/** A failed system call as a CastoreError that names what was being done and where. */
export function fileError(what: string, path: string, err: unknown): CastoreError {
  const reason = strerror(err);
  if (reason === undefined) return err instanceof CastoreError ? err : new CastoreError("unavailable", `${what} '${path}': ${String(err)}`, { cause: err });
  return new CastoreError("unavailable", `${what} '${path}': ${reason}`, { cause: err });
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "ENOENT";
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The size of the regular file at `path`, undefined if there is none. */
function fileSizeSync(path: string): number | undefined {
  try {
    const stats = statSync(path, { throwIfNoEntry: false });
    return stats?.isFile() ? stats.size : undefined;
  } catch (err) {
    throw fileError("cannot look up blob", path, err);
  }
}

async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class LocalBlobService implements BlobService {
  readonly dir: string;
  private readonly tmpDir: string;
  /** Directories whose new entries are not yet known to be durable. */
  private readonly unsynced = new Set<string>();
  /** Shard directories known to exist. */
  private readonly shards = new Set<string>();
  private syncing: Promise<void> = Promise.resolve();

  private constructor(dir: string) {
    this.dir = dir;
    this.tmpDir = join(dir, TMP);
  }

  /** Opens (creating if needed) the blob directory and removes temporary files of dead writers. */
  static async open(dir: string): Promise<LocalBlobService> {
    const service = new LocalBlobService(dir);
    try {
      await mkdir(service.tmpDir, { recursive: true });
    } catch (err) {
      throw fileError("cannot create the blob directory", service.tmpDir, err);
    }
    await service.removeAbandonedTemporaries();
    return service;
  }

  private async removeAbandonedTemporaries(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch (err) {
      throw fileError("cannot list", this.tmpDir, err);
    }
    for (const name of names) {
      const pid = Number(/^(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
      if (!Number.isSafeInteger(pid) || pid === process.pid || processIsAlive(pid)) continue;
      try {
        await unlink(join(this.tmpDir, name));
      } catch (err) {
        // Another process opening the store at the same time may have removed it first.
        if (!isNotFound(err)) throw fileError("cannot remove the abandoned temporary file", join(this.tmpDir, name), err);
      }
    }
  }

  /** Where the blob with this digest lives. */
  blobPath(digest: B3Digest): string {
    const hex = digestHex(checkDigest(digest));
    return join(this.dir, hex.slice(0, 2), hex);
  }

  async has(digest: B3Digest): Promise<boolean> {
    return fileSizeSync(this.blobPath(digest)) !== undefined;
  }

  async chunks(digest: B3Digest): Promise<ChunkMeta[] | undefined> {
    return (await this.has(digest)) ? [] : undefined;
  }

  async read(digest: B3Digest): Promise<AsyncIterable<Uint8Array> | undefined> {
    const path = this.blobPath(digest);
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw fileError("cannot open blob", path, err);
    }
    return readVerified(fd, path, digest);
  }

  openWrite(): BlobWriter {
    return new LocalBlobWriter(this);
  }

  /**
   * Makes every blob stored so far by this process durable (its directory entry fsync'd). Runs
   * after any sync under way, which may hold directories this caller's blobs are in.
   */
  sync(): Promise<void> {
    const run = this.syncing.catch(() => undefined).then(() => this.syncNow());
    this.syncing = run;
    return run;
  }

  private async syncNow(): Promise<void> {
    const directories = [...this.unsynced];
    this.unsynced.clear();
    try {
      await Promise.all(directories.map((directory) => fsyncDirectory(directory)));
    } catch (err) {
      for (const directory of directories) this.unsynced.add(directory);
      throw fileError("cannot sync the blob directory", this.dir, err);
    }
  }

  /**
   * Gives a complete temporary file (open as `fd`, closed here) of `size` bytes its digest's
   * name: fsync'd and renamed, or just removed if the blob is there already. A blob file of the
   * wrong size (cut short by a failing disk) is replaced, so storing the contents again repairs
   * it.
   *
   * Only the fsync goes to the thread pool: it waits for the disk, and the pool runs the fsyncs
   * of the files being ingested at once in parallel (the filesystem commits them together). The
   * other calls are cheap metadata operations, done synchronously: a promise round trip through
   * the pool costs more CPU than they do, and there are several per blob.
   */
  async commit(fd: number, tmpPath: string, digest: B3Digest, size: number): Promise<void> {
    const path = this.blobPath(digest);
    const shard = dirname(path);
    try {
      let present: boolean;
      try {
        present = fileSizeSync(path) === size;
        if (!present) await fsyncAsync(fd);
      } finally {
        closeSync(fd);
      }
      if (present) {
        unlinkSync(tmpPath);
      } else {
        if (!this.shards.has(shard)) {
          if (mkdirSync(shard, { recursive: true }) !== undefined) this.unsynced.add(this.dir);
          this.shards.add(shard);
        }
        renameSync(tmpPath, path);
      }
    } catch (err) {
      throw fileError("cannot store blob", path, err);
    }
    // Also when the blob was there already: another process may have renamed it without syncing yet.
    this.unsynced.add(shard);
  }

  newTemporaryPath(): string {
    return join(this.tmpDir, `${process.pid}-${randomBytes(8).toString("hex")}`);
  }

  async close(): Promise<void> {
    await this.sync();
  }
}

/**
 * Streams a blob file, hashing it on the way; the last piece is held back until the digest
 * matches, so a changed or cut-short file fails the stream with data-loss (and a blob of one
 * piece yields nothing wrong). Blob files never change, so their size bounds the reads.
 *
 * Small blobs, most of a tree, are read with synchronous calls: on a cached file that costs
 * ~50 µs, where each asynchronous call is a thread-pool round trip of about as much, and a
 * NAR of many small files is read one after another. The size limit bounds the blocking.
 */
async function* readVerified(fd: number, path: string, digest: B3Digest): AsyncIterable<Uint8Array> {
  const hasher = new Blake3Hasher();
  try {
    let left: number;
    try {
      left = fstatSync(fd).size;
    } catch (err) {
      throw fileError("cannot read blob", path, err);
    }
    const small = left <= SMALL_BLOB;
    let held: Uint8Array | undefined;
    while (left > 0) {
      const buffer = Buffer.allocUnsafe(Math.min(left, READ_BUFFER));
      let bytesRead: number;
      try {
        bytesRead = small ? readSync(fd, buffer) : (await readAsync(fd, buffer, 0, buffer.length, null)).bytesRead;
      } catch (err) {
        throw fileError("cannot read blob", path, err);
      }
      if (bytesRead === 0) break;
      const chunk = bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
      hasher.update(chunk);
      left -= bytesRead;
      if (held !== undefined) yield held;
      held = chunk;
    }
    const actual = hasher.digest();
    if (!digestEquals(actual, digest)) {
      throw new CastoreError("data-loss", `blob ${formatDigest(digest)} is corrupt: its file '${path}' has contents ${formatDigest(actual)}`);
    }
    if (held !== undefined) yield held;
  } finally {
    closeSync(fd);
  }
}

class LocalBlobWriter implements BlobWriter {
  private readonly service: LocalBlobService;
  private readonly tmpPath: string;
  private readonly hasher = new Blake3Hasher();
  private size = 0;
  private fd: number | undefined;
  private state: "open" | "closed" = "open";

  constructor(service: LocalBlobService) {
    this.service = service;
    this.tmpPath = service.newTemporaryPath();
  }

  /**
   * The temporary file, created on first use. Opening and writing are synchronous (see commit):
   * writes land in the page cache, and ingestion reads its files synchronously too.
   */
  private file(): number {
    try {
      this.fd ??= openSync(this.tmpPath, "wx", 0o444);
    } catch (err) {
      throw fileError("cannot create temporary blob file", this.tmpPath, err);
    }
    return this.fd;
  }

  private checkOpen(): void {
    checkWriterOpen(this.state === "open");
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.checkOpen();
    const fd = this.file();
    this.hasher.update(chunk);
    this.size += chunk.length;
    try {
      for (let offset = 0; offset < chunk.length; ) offset += writeSync(fd, chunk, offset, chunk.length - offset);
    } catch (err) {
      throw fileError("cannot write temporary blob file", this.tmpPath, err);
    }
  }

  async close(): Promise<B3Digest> {
    this.checkOpen();
    this.state = "closed";
    const digest = this.hasher.digest();
    try {
      const fd = this.file();
      // commit closes the file, also when it fails.
      this.fd = undefined;
      await this.service.commit(fd, this.tmpPath, digest, this.size);
    } catch (err) {
      await this.removeTemporary();
      throw err;
    }
    return digest;
  }

  async abort(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    await this.removeTemporary();
  }

  private async removeTemporary(): Promise<void> {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    try {
      await unlink(this.tmpPath);
    } catch (err) {
      if (!isNotFound(err)) throw fileError("cannot remove temporary blob file", this.tmpPath, err);
    }
  }
}
