// Store paths: `<storeDir>/<nixbase32 of 20 bytes>-<name>`, parsed with Nix's rules and
// computed exactly as Nix computes them for text, fixed-output, source and output paths.
import { NixCompatError } from "./errors.ts";
import { type Hash, compressHash, hashBytes } from "./hash.ts";
import * as nixbase32 from "./nixbase32.ts";

export const DEFAULT_STORE_DIR = "/nix/store";
export const DIGEST_LENGTH = 20;
export const ENCODED_DIGEST_LENGTH = nixbase32.encodedLength(DIGEST_LENGTH); // 32
const MAX_NAME_LENGTH = 211;
const NAME_CHAR = /^[A-Za-z0-9+\-._?=]$/;

export class StorePath {
  /** The 20-byte hash part. */
  readonly digest: Uint8Array;
  readonly name: string;

  constructor(digest: Uint8Array, name: string) {
    if (digest.length !== DIGEST_LENGTH) throw new NixCompatError(`a store path digest has ${DIGEST_LENGTH} bytes, not ${digest.length}`);
    // Nix names the whole base name when it rejects a name.
    validateName(name, `${nixbase32.encode(digest)}-${name}`);
    this.digest = digest;
    this.name = name;
  }

  /** The nixbase32 hash part, as it appears in the path. */
  get hashPart(): string {
    return nixbase32.encode(this.digest);
  }

  /** `<hash>-<name>` */
  get baseName(): string {
    return `${this.hashPart}-${this.name}`;
  }

  toAbsolute(storeDir: string = DEFAULT_STORE_DIR): string {
    return `${storeDir}/${this.baseName}`;
  }

  equals(other: StorePath): boolean {
    return this.name === other.name && Buffer.compare(this.digest, other.digest) === 0;
  }
}

/** Checks a store path name against Nix's rules; `context` names the path in the message. */
export function validateName(name: string, context: string = name): void {
  if (name.length === 0) throw new NixCompatError(`store path '${context}' has an empty name`);
  if (name.length > MAX_NAME_LENGTH) throw new NixCompatError(`store path '${context}' has a name longer than ${MAX_NAME_LENGTH} characters`);
  for (const c of name) {
    if (!NAME_CHAR.test(c)) throw new NixCompatError(`store path '${context}' contains illegal character '${c}'`);
  }
}

/** Parses `<hash>-<name>`. */
export function parseStorePathBaseName(baseName: string): StorePath {
  if (baseName.length < ENCODED_DIGEST_LENGTH + 1 || baseName[ENCODED_DIGEST_LENGTH] !== "-") {
    throw new NixCompatError(`'${baseName}' is not a store path base name (<32-char hash>-<name>)`);
  }
  const hashPart = baseName.slice(0, ENCODED_DIGEST_LENGTH);
  if (!nixbase32.isNixBase32(hashPart)) throw new NixCompatError(`store path '${baseName}' has an invalid hash part '${hashPart}'`);
  const name = baseName.slice(ENCODED_DIGEST_LENGTH + 1);
  return new StorePath(nixbase32.decode(hashPart), name);
}

/** Parses an absolute store path directly inside `storeDir` (no trailing components). */
export function parseStorePath(path: string, storeDir: string = DEFAULT_STORE_DIR): StorePath {
  const prefix = `${storeDir}/`;
  if (!path.startsWith(prefix)) throw new NixCompatError(`path '${path}' is not in the Nix store`);
  const baseName = path.slice(prefix.length);
  if (baseName.includes("/")) throw new NixCompatError(`path '${path}' is not a store path (it is inside one)`);
  return parseStorePathBaseName(baseName);
}

/**
 * Splits a path inside the store into its store path and the rest (`""` or `/sub/path`),
 * as `nix-store --dump /nix/store/…-x/sub` needs.
 */
export function parseStorePathPrefix(path: string, storeDir: string = DEFAULT_STORE_DIR): { storePath: StorePath; rest: string } {
  const prefix = `${storeDir}/`;
  if (!path.startsWith(prefix)) throw new NixCompatError(`path '${path}' is not in the Nix store`);
  const slash = path.indexOf("/", prefix.length);
  const end = slash < 0 ? path.length : slash;
  return { storePath: parseStorePathBaseName(path.slice(prefix.length, end)), rest: path.slice(end) };
}

/** Nix's `makeStorePath`: the path for `type`, a sha256 inner hash and `name`. */
export function makeStorePath(type: string, innerHash: Hash, name: string, storeDir: string = DEFAULT_STORE_DIR): StorePath {
  if (innerHash.algo !== "sha256") throw new NixCompatError(`store paths are made from sha256 hashes, not ${innerHash.algo}`);
  const fingerprint = `${type}:sha256:${innerHash.encode("base16")}:${storeDir}:${name}`;
  return new StorePath(compressHash(hashBytes("sha256", fingerprint).digest, DIGEST_LENGTH), name);
}

/** The `type` string with references: `text:/nix/store/a:/nix/store/b[:self]`. */
function typeWithReferences(type: string, references: readonly string[], hasSelfReference: boolean): string {
  let out = type;
  for (const reference of [...references].sort()) out += `:${reference}`;
  if (hasSelfReference) out += ":self";
  return out;
}

/** A text path (builtins.toFile, .drv files): sha256 of the contents, references as absolute paths. */
export function makeTextPath(name: string, contentHash: Hash, references: readonly string[], storeDir?: string): StorePath {
  return makeStorePath(typeWithReferences("text", references, false), contentHash, name, storeDir);
}

/** How a fixed-output hash covers its content: the bytes of one file, or the NAR of a tree. */
export type FileIngestionMethod = "flat" | "recursive";

/**
 * A fixed-output path (fetchurl, `nix store add`, fixed-output derivations). Recursive sha256
 * paths are "source" paths and may have references; all others are `output:out` paths.
 */
export function makeFixedOutputPath(
  name: string,
  method: FileIngestionMethod,
  hash: Hash,
  options: { references?: readonly string[]; hasSelfReference?: boolean; storeDir?: string } = {},
): StorePath {
  const references = options.references ?? [];
  const hasSelfReference = options.hasSelfReference ?? false;
  if (method === "recursive" && hash.algo === "sha256") {
    return makeStorePath(typeWithReferences("source", references, hasSelfReference), hash, name, options.storeDir);
  }
  if (references.length > 0 || hasSelfReference) throw new NixCompatError(`fixed-output path '${name}' cannot have references`);
  const inner = hashBytes("sha256", `fixed:out:${method === "recursive" ? "r:" : ""}${hash.format("base16")}:`);
  return makeStorePath("output:out", inner, name, options.storeDir);
}

/** The name of a derivation output's path: `name` for `out`, `name-output` otherwise. */
export function outputPathName(drvName: string, outputName: string): string {
  return outputName === "out" ? drvName : `${drvName}-${outputName}`;
}

/** An input-addressed output path, from the derivation's hashDerivationModulo. */
export function makeOutputPath(drvHashModulo: Hash, outputName: string, drvName: string, storeDir?: string): StorePath {
  return makeStorePath(`output:${outputName}`, drvHashModulo, outputPathName(drvName, outputName), storeDir);
}
