// Inputs of builds, rendered from the store to local disk once and shared by every build of one
// service: content-addressed (a node's digest names its rendering), so a rendering is right for
// any build that names the same contents, and builds only ever see them through read-only bind
// mounts. Each service has a directory of its own, removed when it closes, so no other process
// writes there and nothing is left behind.
//
// A build's output, once ingested, is taken over as the rendering of its node instead of being
// deleted and rendered again when a later build needs it (in a chain, every output is the next
// build's input): it is given what renderNode would give — root's, modes 0755 and 0644 — and
// moved in. Nothing else writes to it: the build's container has ended.
import { randomUUID } from "node:crypto";
import { chmodSync, lchownSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { digestHex } from "../../castore/digest.ts";
import { renderNode } from "../../castore/fs/render.ts";
import type { DirectoryNode, FileNode, Node } from "../../castore/node.ts";
import type { Store } from "../../store/composition.ts";

export class InputCache {
  private readonly store: Store;
  readonly directory: string;
  private readonly rendered = new Map<string, Promise<string>>();

  constructor(store: Store, parent: string) {
    this.store = store;
    this.directory = join(parent, `inputs-${randomUUID()}`);
    mkdirSync(this.directory, { recursive: true, mode: 0o755 });
  }

  /** The local path of `node`'s contents, rendered on first use. */
  path(node: DirectoryNode | FileNode): Promise<string> {
    const key = cacheKey(node);
    let path = this.rendered.get(key);
    if (path === undefined) {
      const target = join(this.directory, key);
      path = renderNode(node, this.store.blobs, this.store.directories, target).then(() => target);
      this.rendered.set(key, path);
      // A failed rendering (renderNode leaves nothing behind) is tried again by the next build.
      path.catch(() => this.rendered.delete(key));
    }
    return path;
  }

  /**
   * Takes over `path`, just ingested as `node`, as its rendering, unless one is there or under
   * way; `path` is then gone (or, if that fails, left for its bundle's removal). Symlinks are never rendered (bundles make them), so not taken.
   */
  adopt(node: Node, path: string): void {
    if (node.kind === "symlink") return;
    const key = cacheKey(node);
    if (this.rendered.has(key)) return;
    const target = join(this.directory, key);
    try {
      canonicalize(Buffer.from(path));
      renameSync(path, target);
    } catch {
      // Only a saving missed: the output goes with its bundle, and is rendered when needed.
      return;
    }
    this.rendered.set(key, Promise.resolve(target));
  }

  close(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}

function cacheKey(node: DirectoryNode | FileNode): string {
  return node.kind === "directory" ? `d-${digestHex(node.digest)}` : `${node.executable ? "x" : "f"}-${digestHex(node.digest)}`;
}

/**
 * Gives the tree at `path` the owner and modes renderNode gives (executable as ingestion sees
 * it). Paths are bytes: names need not be UTF-8.
 */
function canonicalize(path: Buffer): void {
  const stat = lstatSync(path);
  lchownSync(path, 0, 0);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    chmodSync(path, 0o755);
    for (const name of readdirSync(path, { encoding: "buffer" })) canonicalize(Buffer.concat([path, SLASH, name]));
    return;
  }
  chmodSync(path, stat.mode & 0o100 ? 0o755 : 0o644);
}

const SLASH = Buffer.from("/");
