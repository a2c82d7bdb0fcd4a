// Rendering a castore node to the filesystem, atomically: the tree is built in a scratch
// directory beside the target and renamed into place only once all of it is written, so the
// target either does not exist or is complete. Modes are those `nix-store --restore` gives.
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, link, lstat, mkdir, open, rename, rm, rmdir, symlink, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { BlobService } from "../blob-service.ts";
import { type B3Digest, digestEquals, digestHex, EMPTY_DIGEST, formatDigest } from "../digest.ts";
import type { Directory } from "../directory.ts";
import type { DirectoryService } from "../directory-service.ts";
import { CastoreError } from "../errors.ts";
import type { FileNode, Node } from "../node.ts";

const DIRECTORY_MODE = 0o755;
const FILE_MODE = 0o644;
const EXECUTABLE_MODE = 0o755;

/** Writes `node` at `target`, which must not exist; its parent directory must. */
export async function renderNode(node: Node, blobs: BlobService, directories: DirectoryService, target: string): Promise<void> {
  const destination = resolve(target);
  if (await lstat(destination).catch(() => undefined)) throw new CastoreError("invalid-argument", `cannot write to '${target}': it already exists`);
  const tree = node.kind === "directory" ? await loadTree(node.digest, directories) : new Map<string, Directory>();
  const scratch = join(dirname(destination), `.${basename(destination)}.tvix-${randomBytes(6).toString("hex")}`);
  try {
    await new TreeRenderer(blobs, tree).render(node, Buffer.from(scratch), "");
    await claim(scratch, destination, target, node.kind === "directory");
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    throw err;
  }
}

/** Every directory below (and including) `root`, by hex digest; data-loss if any is missing. */
export async function loadTree(root: B3Digest, directories: DirectoryService): Promise<Map<string, Directory>> {
  const tree = new Map<string, Directory>();
  for await (const directory of directories.getRecursive(root)) tree.set(digestHex(directory.digest()), directory);
  if (tree.size === 0) throw new CastoreError("data-loss", `directory ${formatDigest(root)} is missing`);
  return tree;
}

/** Looks up a directory of a loaded tree; `path` names it in the error. */
export function treeDirectory(tree: Map<string, Directory>, digest: B3Digest, path: string): Directory {
  const directory = tree.get(digestHex(digest));
  if (directory === undefined) throw new CastoreError("data-loss", `directory ${formatDigest(digest)} at '${path}' is missing`);
  return directory;
}

/**
 * The contents of a file node's blob, failing with data-loss if the blob is missing or its
 * length is not the node's size; `path` names the file in errors.
 */
export async function* fileContents(blobs: BlobService, node: FileNode, path: string): AsyncIterable<Uint8Array> {
  // The empty blob needs no lookup: stores need not keep it.
  if (node.size === 0 && digestEquals(node.digest, EMPTY_DIGEST)) return;
  const stream = await blobs.read(node.digest);
  if (stream === undefined) throw new CastoreError("data-loss", `blob ${formatDigest(node.digest)} of file '${path}' is missing`);
  let length = 0;
  for await (const chunk of stream) {
    length += chunk.length;
    if (length > node.size) break;
    yield chunk;
  }
  if (length > node.size) throw new CastoreError("data-loss", `blob ${formatDigest(node.digest)} of file '${path}' is longer than the file's ${node.size} bytes`);
  if (length < node.size) throw new CastoreError("data-loss", `blob ${formatDigest(node.digest)} of file '${path}' has ${length} bytes, but the file has ${node.size}`);
}

class TreeRenderer {
  private readonly blobs: BlobService;
  private readonly tree: Map<string, Directory>;

  constructor(blobs: BlobService, tree: Map<string, Directory>) {
    this.blobs = blobs;
    this.tree = tree;
  }

  async render(node: Node, path: Buffer, relative: string): Promise<void> {
    switch (node.kind) {
      case "symlink":
        await symlink(Buffer.from(node.target, "latin1"), path);
        return;
      case "file":
        return this.file(node, path, relative);
      case "directory": {
        await mkdir(path, DIRECTORY_MODE);
        await chmod(path, DIRECTORY_MODE);
        const directory = treeDirectory(this.tree, node.digest, relative);
        for (const child of directory.nodes()) {
          const name = Buffer.from(child.name, "latin1");
          await this.render(child, Buffer.concat([path, SLASH, name]), relative === "" ? child.name : `${relative}/${child.name}`);
        }
      }
    }
  }

  private async file(node: FileNode, path: Buffer, relative: string): Promise<void> {
    const mode = node.executable ? EXECUTABLE_MODE : FILE_MODE;
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    try {
      await handle.chmod(mode);
      for await (const chunk of fileContents(this.blobs, node, relative)) await handle.write(chunk);
    } finally {
      await handle.close();
    }
  }
}

const SLASH = Buffer.from("/");

/** Moves the scratch tree to `destination` without replacing anything that appeared there meanwhile. */
async function claim(scratch: string, destination: string, target: string, isDirectory: boolean): Promise<void> {
  const exists = (err: unknown): never => {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new CastoreError("invalid-argument", `cannot write to '${target}': it already exists`);
    throw err;
  };
  if (isDirectory) {
    // rename(2) would silently replace an empty directory, so take the name with mkdir first.
    await mkdir(destination).catch(exists);
    await rename(scratch, destination).catch(async (err: unknown) => {
      await rmdir(destination);
      throw err;
    });
    return;
  }
  // A hard link (which does not follow a symlink) fails rather than replaces.
  await link(scratch, destination).catch(exists);
  await unlink(scratch);
}
