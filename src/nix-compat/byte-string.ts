// Nix strings are bytes, usually but not always UTF-8. We carry them as JS strings without loss:
// valid UTF-8 decodes as usual, and each byte of invalid UTF-8 becomes the lone surrogate
// U+DC80–U+DCFF (Python's "surrogateescape"). Valid UTF-8 never yields a lone surrogate, so the
// mapping is one-to-one and `encodeBytes(decodeBytes(b))` gives back `b` exactly.
import { isUtf8 } from "node:buffer";
import { NixCompatError } from "./errors.ts";

const ESCAPE_BASE = 0xdc00;

/** Bytes as a JS string, escaping the bytes of invalid UTF-8. */
export function decodeBytes(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buffer)) return buffer.toString("utf8");
  let out = "";
  let start = 0; // start of the pending run of valid UTF-8
  let i = 0;
  while (i < buffer.length) {
    const length = validSequenceLength(buffer, i);
    if (length > 0) {
      i += length;
      continue;
    }
    out += buffer.toString("utf8", start, i) + String.fromCharCode(ESCAPE_BASE + buffer[i]);
    i += 1;
    start = i;
  }
  return out + buffer.toString("utf8", start, i);
}

/** Length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), or 0 if there is none. */
function validSequenceLength(b: Uint8Array, i: number): number {
  const lead = b[i];
  if (lead < 0x80) return 1;
  const cont = (k: number, low = 0x80, high = 0xbf) => i + k < b.length && b[i + k] >= low && b[i + k] <= high;
  if (lead >= 0xc2 && lead <= 0xdf) return cont(1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const low = lead === 0xe0 ? 0xa0 : 0x80;
    const high = lead === 0xed ? 0x9f : 0xbf; // no UTF-16 surrogates
    return cont(1, low, high) && cont(2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const low = lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xf4 ? 0x8f : 0xbf; // nothing above U+10FFFF
    return cont(1, low, high) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** The bytes a string from `decodeBytes` (or any well-formed JS string) stands for. */
export function encodeBytes(text: string): Buffer {
  if (text.isWellFormed()) return Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a proper surrogate pair
        continue;
      }
    }
    if (unit < 0xd800 || unit > 0xdfff) continue;
    if (unit < ESCAPE_BASE + 0x80 || unit > ESCAPE_BASE + 0xff) {
      throw new NixCompatError(`string contains the lone surrogate U+${unit.toString(16).toUpperCase()} at index ${i}, which stands for no byte`);
    }
    parts.push(Buffer.from(text.slice(start, i), "utf8"), Buffer.of(unit - ESCAPE_BASE));
    start = i + 1;
  }
  parts.push(Buffer.from(text.slice(start), "utf8"));
  return Buffer.concat(parts);
}

/** Orders strings by their bytes, as C++ `std::string` (and so every Nix map and set) does. */
export function compareBytes(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  let i = 0;
  while (i < length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === length) return a.length - b.length;
  const x = a.charCodeAt(i);
  const y = b.charCodeAt(i);
  // Below the surrogates, UTF-16 code units order like UTF-8 bytes.
  if (x < 0xd800 && y < 0xd800) return x - y;
  // Otherwise compare the bytes, restarting at a pair the two strings share the first half of.
  const from = i > 0 && a.charCodeAt(i - 1) >= 0xd800 && a.charCodeAt(i - 1) <= 0xdbff ? i - 1 : i;
  return Buffer.compare(encodeBytes(a.slice(from)), encodeBytes(b.slice(from)));
}
