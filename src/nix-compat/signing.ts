// Ed25519 keys and signatures in Nix's text form `NAME:BASE64` (libsodium layouts): a secret key
// is the 32-byte seed followed by the 32-byte public key, a public key is 32 bytes, a signature
// 64 bytes. Ed25519 is deterministic, so a signature made here equals the one Nix makes.
import { type KeyObject, createPrivateKey, createPublicKey, randomBytes, sign, verify } from "node:crypto";
import { NixCompatError } from "./errors.ts";

const SEED_BYTES = 32;
const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
// DER headers that wrap a raw seed (PKCS#8) or public key (SPKI) for node:crypto.
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Checks a key name. Nix splits `NAME:BASE64` at the first colon and `trusted-public-keys` at
 * whitespace, so a name with either could be written but never read back.
 */
export function validateKeyName(name: string): void {
  if (name.length === 0) throw new NixCompatError("a key name must not be empty");
  if (/[:\s]/.test(name)) throw new NixCompatError(`key name '${name}' must not contain ':' or whitespace`);
}

/**
 * Splits `NAME:BASE64` and decodes the base64 part, which must be `size` bytes. Stricter than
 * Nix's decoder, which skips newlines and stops at the first `=`: anything but base64 is an error.
 */
function parseNamedBytes(text: string, what: string, size: number, quote: boolean): { name: string; bytes: Buffer } {
  const shown = quote ? ` '${text}'` : "";
  const colon = text.indexOf(":");
  if (colon <= 0 || colon === text.length - 1) throw new NixCompatError(`${what}${shown} is not of the form NAME:BASE64`);
  const name = text.slice(0, colon);
  const encoded = text.slice(colon + 1);
  if (!BASE64.test(encoded) || encoded.length % 4 === 1 || (encoded.includes("=") && encoded.length % 4 !== 0)) {
    throw new NixCompatError(`${what} '${name}' has invalid base64 after the colon`);
  }
  const bytes = Buffer.from(encoded, "base64");
  if (bytes.length !== size) throw new NixCompatError(`${what} '${name}' has ${bytes.length} bytes, not ${size}`);
  return { name, bytes };
}

export class Signature {
  readonly keyName: string;
  readonly bytes: Buffer;

  constructor(keyName: string, bytes: Uint8Array) {
    validateKeyName(keyName);
    if (bytes.length !== SIGNATURE_BYTES) throw new NixCompatError(`a signature has ${SIGNATURE_BYTES} bytes, not ${bytes.length}`);
    this.keyName = keyName;
    this.bytes = Buffer.from(bytes);
  }

  /** Parses `KEYNAME:BASE64` as found in narinfo `Sig:` lines. */
  static parse(text: string): Signature {
    const { name, bytes } = parseNamedBytes(text, "signature", SIGNATURE_BYTES, true);
    return new Signature(name, bytes);
  }

  toString(): string {
    return `${this.keyName}:${this.bytes.toString("base64")}`;
  }
}

export class PublicKey {
  readonly name: string;
  readonly bytes: Buffer;
  #keyObject: KeyObject | undefined;

  constructor(name: string, bytes: Uint8Array) {
    validateKeyName(name);
    if (bytes.length !== PUBLIC_KEY_BYTES) throw new NixCompatError(`public key '${name}' has ${bytes.length} bytes, not ${PUBLIC_KEY_BYTES}`);
    this.name = name;
    this.bytes = Buffer.from(bytes);
  }

  /** Parses `NAME:BASE64`; trailing whitespace (a key file's final newline) is ignored. */
  static parse(text: string): PublicKey {
    const { name, bytes } = parseNamedBytes(text.trimEnd(), "public key", PUBLIC_KEY_BYTES, true);
    return new PublicKey(name, bytes);
  }

  /** Whether `signature` is this key's signature of `data` (the key names are not compared). */
  verify(data: string | Uint8Array, signature: Signature): boolean {
    this.#keyObject ??= createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, this.bytes]), format: "der", type: "spki" });
    try {
      return verify(null, typeof data === "string" ? Buffer.from(data) : data, this.#keyObject, signature.bytes);
    } catch {
      return false; // OpenSSL refuses some malformed points outright; that is a bad signature too
    }
  }

  toString(): string {
    return `${this.name}:${this.bytes.toString("base64")}`;
  }
}

export class SecretKey {
  readonly name: string;
  readonly publicKey: PublicKey;
  readonly #seed: Buffer;
  readonly #keyObject: KeyObject;

  /** A key from its 32-byte seed; the public half is derived from it. */
  constructor(name: string, seed: Uint8Array) {
    validateKeyName(name);
    if (seed.length !== SEED_BYTES) throw new NixCompatError(`an ed25519 seed has ${SEED_BYTES} bytes, not ${seed.length}`);
    this.name = name;
    this.#seed = Buffer.from(seed);
    this.#keyObject = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, this.#seed]), format: "der", type: "pkcs8" });
    const spki = createPublicKey(this.#keyObject).export({ format: "der", type: "spki" });
    this.publicKey = new PublicKey(name, spki.subarray(SPKI_ED25519_PREFIX.length));
  }

  static generate(name: string): SecretKey {
    return new SecretKey(name, randomBytes(SEED_BYTES));
  }

  /**
   * Parses `NAME:BASE64(seed ‖ public key)`. libsodium signs with the stored public half, so a
   * half that does not match the seed would make signatures nobody can verify: refuse it.
   * Trailing whitespace (a key file's final newline) is ignored.
   */
  static parse(text: string): SecretKey {
    const { name, bytes } = parseNamedBytes(text.trimEnd(), "secret key", SEED_BYTES + PUBLIC_KEY_BYTES, false);
    const key = new SecretKey(name, bytes.subarray(0, SEED_BYTES));
    if (!key.publicKey.bytes.equals(bytes.subarray(SEED_BYTES))) {
      throw new NixCompatError(`secret key '${name}' is corrupt: its public half does not belong to its seed`);
    }
    return key;
  }

  sign(data: string | Uint8Array): Signature {
    return new Signature(this.name, sign(null, typeof data === "string" ? Buffer.from(data) : data, this.#keyObject));
  }

  toString(): string {
    return `${this.name}:${Buffer.concat([this.#seed, this.publicKey.bytes]).toString("base64")}`;
  }
}

/** Public keys by name, as Nix's `trusted-public-keys` setting gives them. */
export type TrustedKeys = ReadonlyMap<string, PublicKey>;

/** Indexes keys by name; of two keys with one name, the first counts (as in Nix). */
export function trustedKeys(keys: Iterable<PublicKey>): TrustedKeys {
  const byName = new Map<string, PublicKey>();
  for (const key of keys) if (!byName.has(key.name)) byName.set(key.name, key);
  return byName;
}

/** Parses a whitespace-separated list of public keys (the `trusted-public-keys` setting). */
export function parseTrustedKeys(setting: string): TrustedKeys {
  return trustedKeys(setting.split(/\s+/).filter((s) => s !== "").map((s) => PublicKey.parse(s)));
}

/**
 * Nix's `verifyDetached`: true if the key the signature names is trusted and the signature is
 * its signature of `data`; a signature by an unknown key is simply not valid.
 */
export function verifySignature(data: string | Uint8Array, signature: Signature, trusted: TrustedKeys): boolean {
  const key = trusted.get(signature.keyName);
  return key !== undefined && key.verify(data, signature);
}
