// PathInfo ↔ narinfo: what a binary cache says about a store path, and what a store keeps.
import type { Node } from "../../castore/node.ts";
import { Hash } from "../../nix-compat/hash.ts";
import type { NarInfo } from "../../nix-compat/narinfo.ts";
import type { Signature } from "../../nix-compat/signing.ts";
import type { PathInfo } from "../path-info.ts";

/** Where a NAR file is and how it is stored; the hash and size of the file when known. */
export interface NarFile {
  url: string;
  compression: string;
  fileHash?: Hash;
  fileSize?: number;
}

/** The narinfo describing `info`, whose NAR is `file`; `signatures` are added to the PathInfo's. */
export function narInfoOfPathInfo(info: PathInfo, file: NarFile, signatures: readonly Signature[] = []): NarInfo {
  return {
    storePath: info.storePath,
    ...file,
    narHash: new Hash("sha256", info.narSha256),
    narSize: info.narSize,
    references: info.references,
    deriver: info.deriver,
    signatures: [...info.signatures, ...signatures],
    ca: info.ca,
  };
}

/** The PathInfo of a narinfo whose NAR was ingested as `node`. */
export function pathInfoOfNarInfo(narinfo: NarInfo, node: Node): PathInfo {
  return {
    storePath: narinfo.storePath,
    node: { ...node, name: "" },
    references: narinfo.references,
    narSize: narinfo.narSize,
    narSha256: narinfo.narHash.digest,
    signatures: narinfo.signatures,
    deriver: narinfo.deriver,
    ca: narinfo.ca,
  };
}
