// A castore Directory: the entries of one directory, each a DirectoryNode, FileNode or
// SymlinkNode, kept sorted by name bytes with names unique across the three kinds. Its digest is
// the BLAKE3 hash of its canonical protobuf encoding (fields in number order, proto3 defaults
// left out), which `encode` writes by hand so that no library detail can change a digest.
import { type B3Digest, blake3 } from "./digest.ts";
import { CastoreError } from "./errors.ts";
import { type DirectoryNode, type FileNode, type Node, type SymlinkNode, validateNode } from "./node.ts";

export class Directory {
  readonly directories: readonly DirectoryNode[];
  readonly files: readonly FileNode[];
  readonly symlinks: readonly SymlinkNode[];
  /**
   * Tvix's `Directory::size` as its implementation computes it (and as its servers check on
   * Put): each entry counts twice, and each child directory adds its own size. The proto
   * comment describes entries once; we follow the code, since that is what live Tvix accepts
   * and what goes into the digests Tvix computes for the same tree.
   */
  readonly size: number;
  private encoded: Uint8Array | undefined;
  private cachedDigest: B3Digest | undefined;

  /** Validates the lists exactly as Tvix does for a received Directory. */
  constructor(directories: readonly DirectoryNode[] = [], files: readonly FileNode[] = [], symlinks: readonly SymlinkNode[] = []) {
    checkSorted(directories);
    checkSorted(files);
    checkSorted(symlinks);
    const names = new Set<string>();
    let size = 0;
    for (const node of [...directories, ...files, ...symlinks]) {
      validateNode(node);
      if (names.has(node.name)) throw new CastoreError("invalid-argument", `invalid directory: duplicate name ${JSON.stringify(node.name)}`);
      names.add(node.name);
      size += node.kind === "directory" ? 2 + node.size : 2;
    }
    if (!Number.isSafeInteger(size)) throw new CastoreError("invalid-argument", "invalid directory: its size overflows");
    this.directories = directories;
    this.files = files;
    this.symlinks = symlinks;
    this.size = size;
  }

  /** A Directory from entries in any order (they are sorted by name bytes). */
  static fromNodes(nodes: Iterable<Node>): Directory {
    const directories: DirectoryNode[] = [];
    const files: FileNode[] = [];
    const symlinks: SymlinkNode[] = [];
    for (const node of nodes) {
      if (node.kind === "directory") directories.push(node);
      else if (node.kind === "file") files.push(node);
      else symlinks.push(node);
    }
    const byName = (a: Node, b: Node): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    return new Directory(directories.sort(byName), files.sort(byName), symlinks.sort(byName));
  }

  /** All entries, sorted by name. */
  nodes(): Node[] {
    return [...this.directories, ...this.files, ...this.symlinks].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get entryCount(): number {
    return this.directories.length + this.files.length + this.symlinks.length;
  }

  /** The canonical protobuf encoding (`tvix.castore.v1.Directory`). */
  encode(): Uint8Array {
    this.encoded ??= encodeDirectory(this);
    return this.encoded;
  }

  digest(): B3Digest {
    this.cachedDigest ??= blake3(this.encode());
    return this.cachedDigest;
  }

  /** The DirectoryNode that refers to this directory under `name`. */
  toNode(name: string): DirectoryNode {
    return { kind: "directory", name, digest: this.digest(), size: this.size };
  }
}

function checkSorted(nodes: readonly Node[]): void {
  for (let i = 1; i < nodes.length; i++) {
    const [previous, current] = [nodes[i - 1].name, nodes[i].name];
    if (previous === current) throw new CastoreError("invalid-argument", `invalid directory: duplicate name ${JSON.stringify(current)}`);
    if (previous > current) throw new CastoreError("invalid-argument", `invalid directory: ${JSON.stringify(current)} is not sorted after ${JSON.stringify(previous)}`);
  }
}

// --- canonical protobuf encoding -------------------------------------------------------------

class ProtoWriter {
  private bytes: number[] = [];

  varint(value: number): void {
    // Sizes stay below 2^53, so division keeps them exact where bit operations would not.
    while (value >= 0x80) {
      this.bytes.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    this.bytes.push(value);
  }

  /** A length-delimited field, left out when empty (proto3 default). */
  bytesField(field: number, value: Uint8Array | string): void {
    if (value.length === 0) return;
    this.varint((field << 3) | 2);
    this.varint(value.length);
    if (typeof value === "string") for (let i = 0; i < value.length; i++) this.bytes.push(value.charCodeAt(i));
    else for (const byte of value) this.bytes.push(byte);
  }

  varintField(field: number, value: number): void {
    if (value === 0) return;
    this.varint(field << 3);
    this.varint(value);
  }

  /** A nested message; always written, even when empty, since it is a list element. */
  messageField(field: number, message: Uint8Array): void {
    this.varint((field << 3) | 2);
    this.varint(message.length);
    for (const byte of message) this.bytes.push(byte);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

function encodeDirectory(directory: Directory): Uint8Array {
  const out = new ProtoWriter();
  for (const node of directory.directories) out.messageField(1, encodeNodeBody(node));
  for (const node of directory.files) out.messageField(2, encodeNodeBody(node));
  for (const node of directory.symlinks) out.messageField(3, encodeNodeBody(node));
  return out.finish();
}

/** The fields of a DirectoryNode, FileNode or SymlinkNode message. */
function encodeNodeBody(node: Node): Uint8Array {
  const out = new ProtoWriter();
  out.bytesField(1, node.name);
  if (node.kind === "symlink") {
    out.bytesField(2, node.target);
  } else {
    out.bytesField(2, node.digest);
    out.varintField(3, node.size);
    if (node.kind === "file" && node.executable) out.varintField(4, 1);
  }
  return out.finish();
}
