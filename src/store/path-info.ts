// PathInfo: what the store knows about one Nix store path: the castore node holding its
// contents, and the metadata Nix keeps (references, NAR hash and size, signatures, deriver,
// content address). Converted to and from `tvix.store.v1.PathInfo` with Tvix's validation.
import { create } from "@bufbuild/protobuf";
import type { Node } from "../castore/node.ts";
import { nodeFromProto, nodeToProto } from "../castore/proto.ts";
import { CastoreError } from "../castore/errors.ts";
import type { ContentAddress } from "../nix-compat/content-address.ts";
import { NixCompatError } from "../nix-compat/errors.ts";
import { Hash, type HashAlgo } from "../nix-compat/hash.ts";
import { type FingerprintFields, fingerprint } from "../nix-compat/narinfo.ts";
import { Signature } from "../nix-compat/signing.ts";
import { DEFAULT_STORE_DIR, StorePath, parseStorePathBaseName } from "../nix-compat/store-path.ts";
import * as pb from "../proto/gen/tvix/store/v1/pathinfo_pb.js";

export interface PathInfo {
  storePath: StorePath;
  /** The contents; its name is not significant here (on the wire it is the store path's base name). */
  node: Node;
  references: StorePath[];
  narSize: number;
  /** sha256 of the NAR serialisation. */
  narSha256: Uint8Array;
  signatures: Signature[];
  deriver?: StorePath;
  ca?: ContentAddress;
}

function invalid(message: string, cause?: unknown): CastoreError {
  return new CastoreError("invalid-argument", `invalid PathInfo: ${message}`, cause === undefined ? undefined : { cause });
}

/** The fields Nix's signatures cover; NAR hash as a Hash. */
export function fingerprintFields(info: PathInfo): FingerprintFields {
  return { storePath: info.storePath, narHash: new Hash("sha256", info.narSha256), narSize: info.narSize, references: info.references };
}

export function pathInfoFingerprint(info: PathInfo, storeDir: string = DEFAULT_STORE_DIR): string {
  return fingerprint(fingerprintFields(info), storeDir);
}

// tvix.store.v1.NARInfo.CA.Hash, by value.
const CA_TYPES: readonly { method: ContentAddress["method"]; algo: HashAlgo }[] = [
  { method: "recursive", algo: "sha256" },
  { method: "recursive", algo: "sha1" },
  { method: "recursive", algo: "sha512" },
  { method: "recursive", algo: "md5" },
  { method: "text", algo: "sha256" },
  { method: "flat", algo: "sha1" },
  { method: "flat", algo: "md5" },
  { method: "flat", algo: "sha256" },
  { method: "flat", algo: "sha512" },
];

function caToProto(ca: ContentAddress): pb.NARInfo_CA {
  const type = CA_TYPES.findIndex((t) => t.method === ca.method && t.algo === ca.hash.algo);
  if (type < 0) throw invalid(`content address ${ca.method}:${ca.hash.algo} has no tvix.store.v1 form`);
  return create(pb.NARInfo_CASchema, { type, digest: ca.hash.digest });
}

function caFromProto(msg: pb.NARInfo_CA): ContentAddress {
  const type = CA_TYPES[msg.type];
  if (type === undefined) throw invalid(`unknown content address type ${msg.type}`);
  try {
    return { method: type.method, hash: new Hash(type.algo, msg.digest) };
  } catch (err) {
    throw invalid(`content address: ${(err as Error).message}`, err);
  }
}

function storePathFromProto(msg: pb.StorePath, what: string): StorePath {
  try {
    return new StorePath(msg.digest, msg.name);
  } catch (err) {
    throw invalid(`${what}: ${(err as Error).message}`, err);
  }
}

export function pathInfoToProto(info: PathInfo): pb.PathInfo {
  return create(pb.PathInfoSchema, {
    node: nodeToProto({ ...info.node, name: info.storePath.baseName }),
    references: info.references.map((r) => r.digest),
    narinfo: {
      narSize: BigInt(info.narSize),
      narSha256: info.narSha256,
      signatures: info.signatures.map((s) => ({ name: s.keyName, data: s.bytes })),
      referenceNames: info.references.map((r) => r.baseName),
      deriver: info.deriver && { name: info.deriver.name.replace(/\.drv$/, ""), digest: info.deriver.digest },
      ca: info.ca && caToProto(info.ca),
    },
  });
}

/** Validates a received PathInfo as Tvix does (tvix/store/src/proto/mod.rs). */
export function pathInfoFromProto(msg: pb.PathInfo): PathInfo {
  const narinfo = msg.narinfo;
  if (narinfo === undefined) throw invalid("narinfo is missing");
  let node: Node;
  try {
    node = nodeFromProto(msg.node);
  } catch (err) {
    throw invalid(`root node: ${(err as Error).message}`, err);
  }
  let storePath: StorePath;
  try {
    storePath = parseStorePathBaseName(node.name);
  } catch (err) {
    throw invalid(`the root node's name ${JSON.stringify(node.name)} is not a store path: ${(err as NixCompatError).message}`, err);
  }
  if (msg.references.length !== narinfo.referenceNames.length) {
    throw invalid(`${msg.references.length} references but ${narinfo.referenceNames.length} reference names`);
  }
  const references = msg.references.map((digest, i) => {
    if (digest.length !== 20) throw invalid(`reference ${i} has ${digest.length} bytes, not 20`);
    let reference: StorePath;
    try {
      reference = parseStorePathBaseName(narinfo.referenceNames[i]);
    } catch (err) {
      throw invalid(`reference name ${JSON.stringify(narinfo.referenceNames[i])}: ${(err as Error).message}`, err);
    }
    if (Buffer.compare(reference.digest, digest) !== 0) throw invalid(`reference ${i} does not match its name ${narinfo.referenceNames[i]}`);
    return reference;
  });
  if (narinfo.narSha256.length !== 32) throw invalid(`nar_sha256 has ${narinfo.narSha256.length} bytes, not 32`);
  if (narinfo.narSize > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`nar_size ${narinfo.narSize} is too large`);
  const signatures = narinfo.signatures.map((s, i) => {
    try {
      return new Signature(s.name, s.data);
    } catch (err) {
      throw invalid(`signature ${i}: ${(err as Error).message}`, err);
    }
  });
  // Tvix keeps the deriver's name without `.drv`; a further `.drv` is allowed (recursive Nix).
  const deriver = narinfo.deriver && storePathFromProto({ ...narinfo.deriver, name: `${narinfo.deriver.name}.drv` }, "deriver");
  return {
    storePath,
    node: { ...node, name: "" },
    references,
    narSize: Number(narinfo.narSize),
    narSha256: narinfo.narSha256,
    signatures,
    deriver,
    ca: narinfo.ca && caFromProto(narinfo.ca),
  };
}
