// Nix strings are bytes, usually but not always UTF-8. tvix-ts carries them as "byte strings":
// JS strings in which each char code (0–255) is one byte (Node's "latin1" encoding). Then
// lengths, substrings, regexes and ordering work on bytes exactly as in Nix, for free; text
// turns into bytes only at the edges (files, stdout, the network).
import { NixCompatError } from "./errors.ts";

/** Bytes as a byte string. */
export function decodeBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** The bytes of a byte string; a char above 0xFF means the caller passed ordinary text. */
export function encodeBytes(byteString: string): Buffer {
  const bad = byteString.search(/[^\x00-\xff]/);
  if (bad >= 0) {
    throw new NixCompatError(`internal: character U+${byteString.charCodeAt(bad).toString(16).toUpperCase()} at index ${bad} is not a byte`);
  }
  return Buffer.from(byteString, "latin1");
}

/** Ordinary (Unicode) text as the byte string of its UTF-8 encoding. */
export function utf8ToBytes(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

/** A byte string shown as text: its UTF-8 decoded (invalid sequences become U+FFFD). */
export function bytesToUtf8(byteString: string): string {
  return Buffer.from(byteString, "latin1").toString("utf8");
}

/** Orders byte strings by their bytes, as C++ `std::string` (so every Nix map and set) does. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
