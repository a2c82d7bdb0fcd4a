// BLAKE3 digests: every blob and directory in castore is named by the 32-byte BLAKE3 hash of
// its bytes (a directory's bytes are its canonical protobuf encoding, see directory.ts).
import blakeHash from "@napi-rs/blake-hash";
import { CastoreError } from "./errors.ts";

export const B3_DIGEST_LENGTH = 32;

/** A 32-byte BLAKE3 digest. */
export type B3Digest = Uint8Array;

/** The native hasher's signature takes Buffers: a view, not a copy. */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function blake3(data: Uint8Array): B3Digest {
  return new Uint8Array(blakeHash.blake3(asBuffer(data)));
}

/** Incremental BLAKE3 for streamed contents. */
export class Blake3Hasher {
  private readonly hasher = new blakeHash.Blake3Hasher();

  update(chunk: Uint8Array): void {
    this.hasher.update(asBuffer(chunk));
  }

  digest(): B3Digest {
    return new Uint8Array(this.hasher.digestBuffer());
  }
}

/** BLAKE3 of no bytes: the empty blob, and the empty directory (it encodes to no bytes). */
export const EMPTY_DIGEST: B3Digest = blake3(new Uint8Array(0));

/** Checks the length of a digest received from outside; `what` names it in the error. */
export function checkDigest(digest: Uint8Array, what = "digest"): B3Digest {
  if (digest.length !== B3_DIGEST_LENGTH) {
    throw new CastoreError("invalid-argument", `invalid ${what}: a BLAKE3 digest has ${B3_DIGEST_LENGTH} bytes, not ${digest.length}`);
  }
  return digest;
}

/** Tvix's display form, `b3:<base64>`. */
export function formatDigest(digest: B3Digest): string {
  return `b3:${Buffer.from(digest).toString("base64")}`;
}

export function parseDigest(text: string): B3Digest {
  const base64 = text.startsWith("b3:") ? text.slice(3) : text.startsWith("blake3-") ? text.slice(7) : undefined;
  const bytes = base64 === undefined ? undefined : Buffer.from(base64, "base64");
  if (bytes === undefined || bytes.toString("base64") !== base64 || bytes.length !== B3_DIGEST_LENGTH) {
    throw new CastoreError("invalid-argument", `invalid BLAKE3 digest '${text}': expected b3:<base64 of ${B3_DIGEST_LENGTH} bytes>`);
  }
  return new Uint8Array(bytes);
}

/** Lowercase hex, the key form used by maps and on-disk layouts. */
export function digestHex(digest: B3Digest): string {
  return Buffer.from(digest).toString("hex");
}

export function digestFromHex(hex: string): B3Digest {
  return checkDigest(new Uint8Array(Buffer.from(hex, "hex")));
}

export function digestEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
