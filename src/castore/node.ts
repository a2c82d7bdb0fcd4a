// Nodes: what a directory entry (or a store path's root) is. Names and symlink targets are byte
// strings (latin1). A node is "anonymous" when its name is empty (build outputs, NAR roots).
import { type B3Digest, checkDigest } from "./digest.ts";
import { CastoreError } from "./errors.ts";
import { validateName, validateSymlinkTarget } from "./path-component.ts";

export interface DirectoryNode {
  readonly kind: "directory";
  readonly name: string;
  /** Digest of the child Directory. */
  readonly digest: B3Digest;
  /** The child's `Directory.size`: see directory.ts. */
  readonly size: number;
}

export interface FileNode {
  readonly kind: "file";
  readonly name: string;
  /** Digest of the blob holding the contents. */
  readonly digest: B3Digest;
  /** Length of the contents in bytes. */
  readonly size: number;
  readonly executable: boolean;
}

export interface SymlinkNode {
  readonly kind: "symlink";
  readonly name: string;
  readonly target: string;
}

export type Node = DirectoryNode | FileNode | SymlinkNode;

/** Checks a node received from outside; the name may be empty only if `anonymous` allows it. */
export function validateNode(node: Node, { anonymous = false }: { anonymous?: boolean } = {}): void {
  if (!(anonymous && node.name === "")) validateName(node.name);
  switch (node.kind) {
    case "directory":
    case "file":
      checkDigest(node.digest, `digest of ${JSON.stringify(node.name)}`);
      if (!Number.isSafeInteger(node.size) || node.size < 0) {
        throw new CastoreError("invalid-argument", `invalid size ${node.size} of ${JSON.stringify(node.name)}`);
      }
      break;
    case "symlink":
      validateSymlinkTarget(node.target, node.name);
      break;
  }
}

/** The same node under another name (store path basename ↔ anonymous). */
export function renameNode<T extends Node>(node: T, name: string): T {
  return { ...node, name };
}
