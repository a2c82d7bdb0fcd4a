// Inputs of builds, rendered from the store to local disk once and shared by every build of one
// service: content-addressed (a node's digest names its rendering), so a rendering is right for
// any build that names the same contents, and builds only ever see them through read-only bind
// mounts. Each service has a directory of its own, removed when it closes, so no other process
// writes there and nothing is left behind.
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { digestHex } from "../../castore/digest.ts";
import { renderNode } from "../../castore/fs/render.ts";
import type { DirectoryNode, FileNode } from "../../castore/node.ts";
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
    const key = node.kind === "directory" ? `d-${digestHex(node.digest)}` : `${node.executable ? "x" : "f"}-${digestHex(node.digest)}`;
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

  close(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}
