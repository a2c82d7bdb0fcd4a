// Nix's base-32: a 32-letter alphabet without e, o, u, t, encoding the digest from its last
// bit backwards (so it is not RFC 4648 base32). Used in store paths and hash strings.
import { NixCompatError } from "./errors.ts";

const ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";
const VALUE_OF = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE_OF[ALPHABET.charCodeAt(i)] = i;

/** Number of characters that encode `byteLength` bytes. */
export function encodedLength(byteLength: number): number {
  return Math.ceil((byteLength * 8) / 5);
}

export function encode(bytes: Uint8Array): string {
  const length = encodedLength(bytes.length);
  let out = "";
  for (let n = length - 1; n >= 0; n--) {
    const bit = n * 5;
    const i = bit >> 3;
    const j = bit & 7;
    const low = bytes[i] >> j;
    const high = i + 1 < bytes.length ? bytes[i + 1] << (8 - j) : 0;
    out += ALPHABET[(low | high) & 0x1f];
  }
  return out;
}

/** Decodes a nixbase32 string; rejects bad characters and non-zero padding bits as Nix does. */
export function decode(text: string): Uint8Array {
  const byteLength = Math.floor((text.length * 5) / 8);
  const out = new Uint8Array(byteLength);
  for (let n = 0; n < text.length; n++) {
    const code = text.charCodeAt(text.length - n - 1);
    const digit = code < 128 ? VALUE_OF[code] : -1;
    if (digit < 0) throw new NixCompatError(`invalid character '${text[text.length - n - 1]}' in nixbase32 string '${text}'`);
    const bit = n * 5;
    const i = bit >> 3;
    const j = bit & 7;
    if (i < byteLength) out[i] |= (digit << j) & 0xff;
    const carry = digit >> (8 - j);
    if (carry !== 0) {
      if (i + 1 < byteLength) out[i + 1] |= carry;
      else throw new NixCompatError(`invalid nixbase32 string '${text}': non-zero padding bits`);
    }
  }
  return out;
}

/** True when every character is in the nixbase32 alphabet. */
export function isNixBase32(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || VALUE_OF[code] < 0) return false;
  }
  return true;
}
