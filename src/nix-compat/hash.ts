// Hashes as Nix writes and reads them: md5/sha1/sha256/sha512 in base16, nixbase32, base64
// and SRI, with or without an `algo:` prefix.
import { createHash, type Hash as NodeHasher } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { NixCompatError } from "./errors.ts";
import * as nixbase32 from "./nixbase32.ts";

export const HASH_ALGOS = ["md5", "sha1", "sha256", "sha512"] as const;
export type HashAlgo = (typeof HASH_ALGOS)[number];

export const HASH_ENCODINGS = ["base16", "nix32", "base64", "sri"] as const;
/** How a digest is written. `nix32` is Nix's base-32 ("base32" on Nix's command line). */
export type HashEncoding = (typeof HASH_ENCODINGS)[number];

const DIGEST_SIZE: Record<HashAlgo, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

export function isHashAlgo(name: string): name is HashAlgo {
  return (HASH_ALGOS as readonly string[]).includes(name);
}

export function parseHashAlgo(name: string): HashAlgo {
  if (!isHashAlgo(name)) throw new NixCompatError(`unknown hash algorithm '${name}'`);
  return name;
}

export function digestSize(algo: HashAlgo): number {
  return DIGEST_SIZE[algo];
}

export class Hash {
  readonly algo: HashAlgo;
  readonly digest: Buffer;

  constructor(algo: HashAlgo, digest: Uint8Array) {
    if (digest.length !== DIGEST_SIZE[algo]) {
      throw new NixCompatError(`a ${algo} digest has ${DIGEST_SIZE[algo]} bytes, not ${digest.length}`);
    }
    this.algo = algo;
    this.digest = Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
  }

  /** The digest alone in `encoding` (SRI always carries its algorithm). */
  encode(encoding: Exclude<HashEncoding, "sri">): string {
    switch (encoding) {
      case "base16":
        return this.digest.toString("hex");
      case "nix32":
        return nixbase32.encode(this.digest);
      case "base64":
        return this.digest.toString("base64");
    }
  }

  /** `algo:digest`, or `algo-base64` for SRI: the forms Nix prints. */
  format(encoding: HashEncoding): string {
    return encoding === "sri" ? this.toSri() : `${this.algo}:${this.encode(encoding)}`;
  }

  toSri(): string {
    return `${this.algo}-${this.digest.toString("base64")}`;
  }

  equals(other: Hash): boolean {
    return this.algo === other.algo && this.digest.equals(other.digest);
  }
}

/** Length of the digest of `algo` written in `encoding` (without prefix). */
export function encodedDigestLength(algo: HashAlgo, encoding: Exclude<HashEncoding, "sri">): number {
  const size = DIGEST_SIZE[algo];
  switch (encoding) {
    case "base16":
      return size * 2;
    case "nix32":
      return nixbase32.encodedLength(size);
    case "base64":
      return Math.ceil(size / 3) * 4;
  }
}

/**
 * Parses every form Nix accepts: `algo:digest` (base16, nix32 or base64, told apart by length),
 * SRI `algo-base64`, or a bare digest when `algo` is known from context.
 */
export function parseHash(text: string, algo?: HashAlgo): Hash {
  const colon = text.indexOf(":");
  const dash = text.indexOf("-");
  let rest = text;
  let isSri = false;
  let prefixAlgo: string | undefined;
  if (colon >= 0) {
    prefixAlgo = text.slice(0, colon);
    rest = text.slice(colon + 1);
  } else if (dash >= 0) {
    prefixAlgo = text.slice(0, dash);
    rest = text.slice(dash + 1);
    isSri = true;
  }
  if (prefixAlgo !== undefined) {
    const parsed = parseHashAlgo(prefixAlgo);
    if (algo !== undefined && parsed !== algo) {
      throw new NixCompatError(`hash '${text}' should have type '${algo}'`);
    }
    algo = parsed;
  }
  if (algo === undefined) {
    throw new NixCompatError(`hash '${text}' does not include a type, nor is the type otherwise known from context`);
  }
  return new Hash(algo, decodeDigest(text, rest, algo, isSri));
}

function decodeDigest(text: string, rest: string, algo: HashAlgo, isSri: boolean): Uint8Array {
  const size = DIGEST_SIZE[algo];
  if (!isSri && rest.length === size * 2) {
    if (!/^[0-9a-fA-F]*$/.test(rest)) throw new NixCompatError(`invalid base-16 hash '${text}'`);
    return Buffer.from(rest, "hex");
  }
  if (!isSri && rest.length === nixbase32.encodedLength(size)) {
    try {
      return nixbase32.decode(rest);
    } catch {
      throw new NixCompatError(`invalid base-32 hash '${text}'`);
    }
  }
  if (isSri || rest.length === encodedDigestLength(algo, "base64")) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(rest)) throw new NixCompatError(`invalid ${isSri ? "SRI" : "base-64"} hash '${text}'`);
    const decoded = Buffer.from(rest, "base64");
    if (decoded.length !== size) throw new NixCompatError(`invalid ${isSri ? "SRI" : "base-64"} hash '${text}'`);
    return decoded;
  }
  throw new NixCompatError(`hash '${text}' has wrong length for hash type '${algo}'`);
}

/** A streaming hasher over Node's OpenSSL bindings. */
export class Hasher {
  readonly algo: HashAlgo;
  private readonly inner: NodeHasher;

  constructor(algo: HashAlgo) {
    this.algo = algo;
    this.inner = createHash(algo);
  }

  /** Adds bytes; a string is a byte string (../byte-string.ts), one byte per char. */
  update(data: Uint8Array | string): this {
    if (typeof data === "string") this.inner.update(data, "latin1");
    else this.inner.update(data);
    return this;
  }

  finish(): Hash {
    return new Hash(this.algo, this.inner.digest());
  }
}

export function hashBytes(algo: HashAlgo, data: Uint8Array | string): Hash {
  return new Hasher(algo).update(data).finish();
}

/** XOR-folds a digest to `size` bytes, as Nix does to shorten sha256 to a 20-byte path hash. */
export function compressHash(digest: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < digest.length; i++) out[i % size] ^= digest[i];
  return out;
}

/** Hashes the contents of a regular file, reading it in large chunks. */
export function hashFile(algo: HashAlgo, path: string): Hash {
  const hasher = new Hasher(algo);
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hasher.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hasher.finish();
}
