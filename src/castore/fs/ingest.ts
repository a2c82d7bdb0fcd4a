// Ingestion of a filesystem tree into castore: file contents stream into the BlobService (a few
// files at once), symlinks and the executable bit are kept, and the directories go to the
// DirectoryService in one leaves-to-root batch at the end, so nothing of the tree is visible
// unless all of it was read. Names and targets are taken as bytes (latin1 strings), whatever
// their encoding.
import { closeSync, constants, type Dirent, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from "node:fs";
import type { BlobService } from "../blob-service.ts";
import { digestHex } from "../digest.ts";
import { Directory } from "../directory.ts";
import { putDirectories, type DirectoryService } from "../directory-service.ts";
import { CastoreError } from "../errors.ts";
import type { DirectoryNode, FileNode, Node } from "../node.ts";
import { settleAll, TaskPool } from "../task-pool.ts";

/** Files being uploaded at the same time (blob writes may wait on fsync or the network). */
const FILE_CONCURRENCY = 16;
/** Largest piece of a file read and written at once. */
const READ_CHUNK_SIZE = 1 << 20;

export interface IngestOptions {
  /**
   * Called with the path of each entry below the root, relative to it (`dir/name`, bytes as a
   * latin1 string); false leaves the entry (and everything below it) out.
   */
  filter?: (relativePath: string) => boolean;
}

/** Ingests the file, symlink or directory at `path`; returns its anonymous node (name ""). */
export async function ingestPath(path: string, blobs: BlobService, directories: DirectoryService, options: IngestOptions = {}): Promise<Node> {
  const root = Buffer.from(path);
  const stat = lstatSync(root);
  if (stat.isFile()) return ingestFile(root, blobs, "");
  if (stat.isSymbolicLink()) return symlinkNode(root, "");
  if (!stat.isDirectory()) throw unsupported(root);
  const walker = new TreeWalker(blobs, options.filter);
  let node: DirectoryNode;
  try {
    node = await walker.directory(root, "", "");
  } finally {
    // On failure, let uploads under way finish before reporting it: nothing outlives the call.
    await walker.pool.idle();
  }
  await putDirectories(directories, walker.directories.values());
  return node;
}

/**
 * Streams the regular file at `path` into a blob and returns its FileNode, executable when its
 * owner may execute it (as in a NAR). Symlinks are not followed. Reads are synchronous, as in
 * the NAR writer: for the many small files of a tree they cost a fraction of what promise-based
 * file handles do; the blob writes, which may go over the network, are awaited.
 */
async function ingestFile(path: string | Buffer, blobs: BlobService, name: string): Promise<FileNode> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw (err as NodeJS.ErrnoException).code === "ELOOP" ? changedType(path) : err;
  }
  try {
    // Stat the open file, so the size is that of what we read.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw changedType(path);
    const writer = blobs.openWrite();
    try {
      for (let left = stat.size; left > 0; ) {
        // A fresh buffer each time: the writer may still hold the previous one.
        const buffer = Buffer.allocUnsafe(Math.min(left, READ_CHUNK_SIZE));
        const n = readSync(fd, buffer, 0, buffer.length, null);
        if (n === 0) throw new CastoreError("invalid-argument", `file '${path}' shrank while being ingested`);
        await writer.write(n === buffer.length ? buffer : buffer.subarray(0, n));
        left -= n;
      }
    } catch (err) {
      await writer.abort();
      throw err;
    }
    const digest = await writer.close();
    return { kind: "file", name, digest, size: stat.size, executable: (stat.mode & constants.S_IXUSR) !== 0 };
  } finally {
    closeSync(fd);
  }
}

function changedType(path: string | Buffer): CastoreError {
  return new CastoreError("invalid-argument", `file '${path}' changed type while being ingested`);
}

/** Walks a directory tree depth first; files are uploaded through the pool meanwhile. */
class TreeWalker {
  readonly pool = new TaskPool(FILE_CONCURRENCY);
  /** Every distinct directory, each after the directories it contains: leaves to root. */
  readonly directories = new Map<string, Directory>();
  private readonly blobs: BlobService;
  private readonly filter: ((relativePath: string) => boolean) | undefined;

  constructor(blobs: BlobService, filter: ((relativePath: string) => boolean) | undefined) {
    this.blobs = blobs;
    this.filter = filter;
  }

  async directory(path: Buffer, name: string, relative: string): Promise<DirectoryNode> {
    const entries: Dirent<Buffer>[] = readdirSync(path, { withFileTypes: true, encoding: "buffer" });
    // Files are promises (their uploads run in the pool); the rest is awaited on the spot.
    const children: (Node | Promise<Node>)[] = [];
    for (const entry of entries) {
      const childName = entry.name.toString("latin1");
      const childRelative = relative === "" ? childName : `${relative}/${childName}`;
      if (this.filter && !this.filter(childRelative)) continue;
      const childPath = Buffer.concat([path, SLASH, entry.name]);
      if (entry.isDirectory()) {
        // Subdirectories one after another keep the walk's memory bounded by the tree's depth.
        children.push(await this.directory(childPath, childName, childRelative));
      } else if (entry.isFile()) {
        children.push((await this.pool.start(() => ingestFile(childPath, this.blobs, childName))).done);
      } else if (entry.isSymbolicLink()) {
        children.push(symlinkNode(childPath, childName));
      } else {
        throw unsupported(childPath);
      }
    }
    const directory = Directory.fromNodes(await settleAll(children.map((child) => Promise.resolve(child))));
    const key = digestHex(directory.digest());
    if (!this.directories.has(key)) this.directories.set(key, directory);
    return directory.toNode(name);
  }
}

const SLASH = Buffer.from("/");

function symlinkNode(path: Buffer, name: string): Node {
  const target = readlinkSync(path, { encoding: "buffer" });
  return { kind: "symlink", name, target: target.toString("latin1") };
}

/** Nix's message for sockets, FIFOs and devices. */
function unsupported(path: Buffer): CastoreError {
  return new CastoreError("invalid-argument", `file '${path}' has an unsupported type`);
}
