// Rendering a castore node to the filesystem, and reading what a rendering needs: the tree's
// directories, file contents checked against their nodes, small files fetched ahead. Writing is
// the NAR restorer's (nix-compat/nar/restore.ts), driven by a walk of the tree instead of a
// NAR: atomic (built beside the target, moved into place when complete), with the modes
// `nix-store --restore` gives, and names already validated by Directory.
import { restoreTree } from "../../nix-compat/nar/restore.ts";
import type { NarVisitor } from "../../nix-compat/nar/reader.ts";
import type { BlobService } from "../blob-service.ts";
import { type B3Digest, digestEquals, digestHex, EMPTY_DIGEST, formatDigest } from "../digest.ts";
import type { Directory } from "../directory.ts";
import type { DirectoryService } from "../directory-service.ts";
import { CastoreError } from "../errors.ts";
import type { FileNode, Node } from "../node.ts";

/** Files up to this size are fetched ahead, whole, a few at once. */
export const PREFETCH_MAX_SIZE = 64 << 10;
/** How many files ahead of the one being written are fetched. */
const PREFETCH_FILES = 16;

/** Writes `node` at `target`, which must not exist; its parent directory must. */
export async function renderNode(node: Node, blobs: BlobService, directories: DirectoryService, target: string): Promise<void> {
  const tree = await loadNodeTree(node, directories);
  const prefetcher = new FilePrefetcher(blobs, node, tree);
  await restoreTree(target, (visitor) => emit(node, visitor, "", { blobs, tree, prefetcher }));
}

async function emit(node: Node, visitor: NarVisitor, path: string, context: { blobs: BlobService; tree: Map<string, Directory>; prefetcher: FilePrefetcher }): Promise<void> {
  switch (node.kind) {
    case "symlink":
      return visitor.symlink(Buffer.from(node.target, "latin1"));
    case "file": {
      visitor.file(node.executable, node.size, 0);
      const prefetched = context.prefetcher.next();
      for (const chunk of prefetched ? await prefetched : []) visitor.contents(chunk);
      if (!prefetched) for await (const chunk of fileContents(context.blobs, node, path)) visitor.contents(chunk);
      return visitor.fileEnd();
    }
    case "directory":
      visitor.directory();
      for (const child of treeDirectory(context.tree, node.digest, path).nodes()) {
        visitor.entry(Buffer.from(child.name, "latin1"));
        await emit(child, visitor, path === "" ? child.name : `${path}/${child.name}`, context);
      }
      return visitor.directoryEnd();
  }
}

/** Every directory below (and including) `root`, by hex digest; data-loss if any is missing. */
export async function loadTree(root: B3Digest, directories: DirectoryService): Promise<Map<string, Directory>> {
  const tree = new Map<string, Directory>();
  for await (const directory of directories.getRecursive(root)) tree.set(digestHex(directory.digest()), directory);
  if (tree.size === 0) throw new CastoreError("data-loss", `directory ${formatDigest(root)} is missing`);
  return tree;
}

/** The directories a node's contents take: loadTree of a directory node, none for a file or symlink. */
export async function loadNodeTree(node: Node, directories: DirectoryService): Promise<Map<string, Directory>> {
  return node.kind === "directory" ? loadTree(node.digest, directories) : new Map();
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

/** The file nodes below `root` (itself, if a file) in tree order (entries by name, as in a NAR), with their paths. */
function* filesInOrder(root: Node, tree: Map<string, Directory>): Generator<{ node: FileNode; path: string }> {
  // An explicit stack of pending entries (last one next): trees may nest deeper than the call stack.
  const pending: { node: Node; path: string }[] = [{ node: root, path: "" }];
  for (let entry; (entry = pending.pop()); ) {
    const { node, path } = entry;
    if (node.kind === "file") yield { node, path };
    if (node.kind !== "directory") continue;
    const children = treeDirectory(tree, node.digest, path).nodes();
    for (let i = children.length - 1; i >= 0; i--) pending.push({ node: children[i], path: path === "" ? children[i].name : `${path}/${children[i].name}` });
  }
}

/**
 * Reads the contents of small files ahead of a writer that goes through a tree in order, a few
 * at once, so that a store where each read costs a round trip (files on disk, a remote
 * service) is not read one file at a time. Large files are left to be streamed in their turn.
 */
export class FilePrefetcher {
  private readonly blobs: BlobService;
  private readonly files: Iterator<{ node: FileNode; path: string }>;
  /** One entry per upcoming file, in order: its contents, or undefined for a large file. */
  private readonly ahead: (Promise<Uint8Array[]> | undefined)[] = [];

  /** For the files below `root`, whose directories `tree` holds (see loadTree). */
  constructor(blobs: BlobService, root: Node, tree: Map<string, Directory>) {
    this.blobs = blobs;
    this.files = filesInOrder(root, tree);
  }

  /**
   * The next file's contents if it is at most PREFETCH_MAX_SIZE bytes (failing here, in its
   * turn, if they cannot be read), or undefined for a larger file.
   */
  next(): Promise<Uint8Array[]> | undefined {
    while (this.ahead.length <= PREFETCH_FILES) {
      const file = this.files.next();
      if (file.done) break;
      const { node, path } = file.value;
      if (node.size > PREFETCH_MAX_SIZE) {
        this.ahead.push(undefined);
        continue;
      }
      const contents = (async () => {
        const chunks: Uint8Array[] = [];
        for await (const chunk of fileContents(this.blobs, node, path)) chunks.push(chunk);
        return chunks;
      })();
      // Awaited in its turn; until then (or if the writer stops early) a failure is not unhandled.
      contents.catch(() => {});
      this.ahead.push(contents);
    }
    return this.ahead.shift();
  }
}
