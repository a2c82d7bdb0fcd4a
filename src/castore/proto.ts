// Conversions between castore's own types and the `tvix.castore.v1` messages, validating
// everything that arrives. A Directory's digest is recomputed from our canonical encoding, so a
// message carrying fields we do not know is refused: its digest would not be the sender's.
import { create, fromBinary } from "@bufbuild/protobuf";
import { decodeBytes, encodeBytes } from "../nix-compat/byte-string.ts";
import * as pb from "../proto/gen/tvix/castore/v1/castore_pb.js";
import { Directory } from "./directory.ts";
import { CastoreError } from "./errors.ts";
import { type DirectoryNode, type FileNode, type Node, type SymlinkNode, validateNode } from "./node.ts";

function checkKnownFields(message: { $unknown?: unknown[] }, what: string): void {
  if (message.$unknown !== undefined && message.$unknown.length > 0) {
    throw new CastoreError("invalid-argument", `invalid ${what}: it has fields unknown to tvix.castore.v1`);
  }
}

function toSize(value: bigint, name: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new CastoreError("invalid-argument", `invalid size ${value} of ${JSON.stringify(name)}`);
  return Number(value);
}

function directoryNodeFromProto(msg: pb.DirectoryNode): DirectoryNode {
  checkKnownFields(msg, "DirectoryNode");
  const name = decodeBytes(msg.name);
  return { kind: "directory", name, digest: msg.digest, size: toSize(msg.size, name) };
}

function fileNodeFromProto(msg: pb.FileNode): FileNode {
  checkKnownFields(msg, "FileNode");
  const name = decodeBytes(msg.name);
  return { kind: "file", name, digest: msg.digest, size: toSize(msg.size, name), executable: msg.executable };
}

function symlinkNodeFromProto(msg: pb.SymlinkNode): SymlinkNode {
  checkKnownFields(msg, "SymlinkNode");
  return { kind: "symlink", name: decodeBytes(msg.name), target: decodeBytes(msg.target) };
}

/** A Node message as a validated node; `anonymous` allows an empty name (build outputs). */
export function nodeFromProto(msg: pb.Node | undefined, { anonymous = false }: { anonymous?: boolean } = {}): Node {
  if (msg === undefined || msg.node.case === undefined) throw new CastoreError("invalid-argument", "invalid node: it is empty");
  checkKnownFields(msg, "Node");
  const node =
    msg.node.case === "directory"
      ? directoryNodeFromProto(msg.node.value)
      : msg.node.case === "file"
        ? fileNodeFromProto(msg.node.value)
        : symlinkNodeFromProto(msg.node.value);
  validateNode(node, { anonymous });
  return node;
}

export function nodeToProto(node: Node): pb.Node {
  const name = encodeBytes(node.name);
  switch (node.kind) {
    case "directory":
      return create(pb.NodeSchema, { node: { case: "directory", value: { name, digest: node.digest, size: BigInt(node.size) } } });
    case "file":
      return create(pb.NodeSchema, {
        node: { case: "file", value: { name, digest: node.digest, size: BigInt(node.size), executable: node.executable } },
      });
    case "symlink":
      return create(pb.NodeSchema, { node: { case: "symlink", value: { name, target: encodeBytes(node.target) } } });
  }
}

export function directoryFromProto(msg: pb.Directory): Directory {
  checkKnownFields(msg, "Directory");
  return new Directory(msg.directories.map(directoryNodeFromProto), msg.files.map(fileNodeFromProto), msg.symlinks.map(symlinkNodeFromProto));
}

export function directoryToProto(directory: Directory): pb.Directory {
  return fromBinary(pb.DirectorySchema, directory.encode());
}

/** Decodes a Directory stored or sent in protobuf encoding, validating it. */
export function decodeDirectory(bytes: Uint8Array): Directory {
  let msg: pb.Directory;
  try {
    msg = fromBinary(pb.DirectorySchema, bytes);
  } catch (err) {
    throw new CastoreError("invalid-argument", `invalid directory: not a tvix.castore.v1.Directory message (${(err as Error).message})`);
  }
  return directoryFromProto(msg);
}
