// Closures: a set of store paths with everything they refer to, directly or not. Copying one
// between stores moves, path by path in dependency order, the blobs, then the directories
// (leaves to root), then the PathInfo: the destination never holds a PathInfo whose contents or
// references it lacks, so an interrupted copy leaves only whole paths visible.
import type { BlobService } from "../castore/blob-service.ts";
import { type B3Digest, digestEquals, digestHex, EMPTY_DIGEST, formatDigest } from "../castore/digest.ts";
import type { Directory } from "../castore/directory.ts";
import { putDirectories } from "../castore/directory-service.ts";
import { CastoreError } from "../castore/errors.ts";
import { loadNodeTree } from "../castore/fs/render.ts";
import type { FileNode } from "../castore/node.ts";
import { settleAll, TaskPool } from "../castore/task-pool.ts";
import type { StorePath } from "../nix-compat/store-path.ts";
import type { Store } from "./composition.ts";
import type { PathInfo } from "./path-info.ts";
import type { PathInfoService } from "./path-info-service.ts";

/** Blobs copied at the same time. */
const BLOB_CONCURRENCY = 4;

function pathKey(path: StorePath): string {
  return Buffer.from(path.digest).toString("hex");
}

/**
 * The PathInfos of `roots` and of everything they refer to, each once, references before the
 * paths that refer to them. A missing path is a not-found CastoreError naming it.
 */
export async function computeClosure(pathInfos: PathInfoService, roots: StorePath[]): Promise<PathInfo[]> {
  const infos = new Map<string, PathInfo>();
  // Fetch breadth first, one level of references at a time, each level concurrently.
  let level = new Map<string, { path: StorePath; referrer?: StorePath }>(roots.map((path) => [pathKey(path), { path }]));
  while (level.size > 0) {
    const found = await Promise.all(
      [...level.values()].map(async ({ path, referrer }) => {
        const info = await pathInfos.get(path.digest);
        if (info === undefined) {
          throw new CastoreError("not-found", `path '${path.baseName}'${referrer ? `, referenced by '${referrer.baseName}',` : ""} is not in the store`);
        }
        return info;
      }),
    );
    for (const info of found) infos.set(pathKey(info.storePath), info);
    level = new Map();
    for (const info of found) {
      for (const reference of info.references) {
        const key = pathKey(reference);
        if (!infos.has(key) && !level.has(key)) level.set(key, { path: reference, referrer: info.storePath });
      }
    }
  }
  // A path that refers to itself (or a cycle Nix would not produce) is emitted once.
  const info = (path: StorePath): PathInfo => infos.get(pathKey(path))!;
  return postOrder(roots.map(info), (i) => pathKey(i.storePath), (i) => i.references.map(info));
}

export interface CopyProgress {
  /** Paths copied so far, of `totalPaths` the destination lacked. */
  paths: number;
  totalPaths: number;
  /** Blob bytes copied so far. */
  bytes: number;
}

/**
 * Copies the closure of `roots` from one store to another, skipping paths the destination has
 * (their closures are there already); returns the PathInfos it copied, as the destination stored them.
 */
export async function copyClosure(from: Store, to: Store, roots: StorePath[], options: { onProgress?: (p: CopyProgress) => void } = {}): Promise<PathInfo[]> {
  const closure = await computeClosure(from.pathInfos, roots);
  const present = await Promise.all(closure.map(async (info) => (await to.pathInfos.get(info.storePath.digest)) !== undefined));
  const missing = closure.filter((_, i) => !present[i]);
  const progress: CopyProgress = { paths: 0, totalPaths: missing.length, bytes: 0 };
  options.onProgress?.({ ...progress });
  const copied: PathInfo[] = [];
  for (const info of missing) {
    await copyPathContents(info, from, to, (bytes) => {
      progress.bytes += bytes;
      options.onProgress?.({ ...progress });
    });
    copied.push(await to.pathInfos.put(info));
    progress.paths++;
    options.onProgress?.({ ...progress });
  }
  return copied;
}

/**
 * Copies what a path's root node points to — its blobs, then its directories leaves to root —
 * so that the destination may take its PathInfo; `onBytes` counts blob bytes as they go.
 */
export async function copyPathContents(
  info: Pick<PathInfo, "node">,
  from: Pick<Store, "blobs" | "directories">,
  to: Pick<Store, "blobs" | "directories">,
  onBytes: (bytes: number) => void = () => {},
): Promise<void> {
  const tree = await loadNodeTree(info.node, from.directories);
  const files: FileNode[] = info.node.kind === "file" ? [info.node] : [...tree.values()].flatMap((directory) => directory.files);
  await copyBlobs(from.blobs, to.blobs, files, onBytes);
  if (info.node.kind === "directory") await putDirectories(to.directories, leavesToRoot(tree, info.node.digest));
}

/** Copies the blobs of `files` the destination lacks, a few at a time, checking each digest. */
async function copyBlobs(from: BlobService, to: BlobService, files: readonly FileNode[], onBytes: (bytes: number) => void): Promise<void> {
  const pool = new TaskPool(BLOB_CONCURRENCY);
  const seen = new Set<string>();
  const copies: Promise<void>[] = [];
  try {
    for (const file of files) {
      const key = digestHex(file.digest);
      if (seen.has(key)) continue;
      seen.add(key);
      copies.push((await pool.start(() => copyBlob(from, to, file.digest, onBytes))).done);
    }
  } finally {
    await pool.idle();
  }
  await settleAll(copies);
}

async function copyBlob(from: BlobService, to: BlobService, digest: B3Digest, onBytes: (bytes: number) => void): Promise<void> {
  // The empty blob needs no copy: readers answer it without a lookup.
  if (digestEquals(digest, EMPTY_DIGEST) || (await to.has(digest))) return;
  const stream = await from.read(digest);
  if (stream === undefined) throw new CastoreError("data-loss", `blob ${formatDigest(digest)} is missing from the source store`);
  const writer = to.openWrite();
  try {
    for await (const chunk of stream) {
      await writer.write(chunk);
      onBytes(chunk.length);
    }
  } catch (err) {
    await writer.abort();
    throw err;
  }
  const written = await writer.close();
  if (!digestEquals(written, digest)) throw new CastoreError("data-loss", `blob ${formatDigest(digest)} read back as ${formatDigest(written)}`);
}

/** The directories of a tree, each after all the directories it contains. */
function leavesToRoot(tree: Map<string, Directory>, root: B3Digest): Directory[] {
  const directory = (digest: B3Digest): Directory => tree.get(digestHex(digest))!;
  return postOrder([directory(root)], (d) => digestHex(d.digest()), (d) => d.directories.map((child) => directory(child.digest)));
}

/** Depth-first post-order from `roots`: each item once, after the items it points to. */
function postOrder<T>(roots: readonly T[], key: (item: T) => string, children: (item: T) => readonly T[]): T[] {
  const ordered: T[] = [];
  const seen = new Set<string>();
  // An explicit stack (graphs may be deeper than the call stack): an item is emitted when the
  // walk comes back to it after its children.
  const stack: { item: T; expanded: boolean }[] = [...roots].reverse().map((item) => ({ item, expanded: false }));
  for (let top; (top = stack.pop()); ) {
    if (top.expanded) {
      ordered.push(top.item);
      continue;
    }
    const k = key(top.item);
    if (seen.has(k)) continue;
    seen.add(k);
    stack.push({ item: top.item, expanded: true });
    const next = children(top.item);
    for (let i = next.length - 1; i >= 0; i--) if (!seen.has(key(next[i]))) stack.push({ item: next[i], expanded: false });
  }
  return ordered;
}
