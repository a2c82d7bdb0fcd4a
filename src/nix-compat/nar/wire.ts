// The NAR wire format shared by the writer and the reader. Every token is a byte string: a
// u64 little-endian length, the bytes, then zeros up to a multiple of 8. The grammar is
//
//   nar       = "nix-archive-1" node
//   node      = "(" "type" ( regular | symlink | directory ) ")"
//   regular   = "regular" [ "executable" "" ] "contents" CONTENTS
//   symlink   = "symlink" "target" TARGET
//   directory = "directory" { "entry" "(" "name" NAME "node" node ")" }   (names in byte order)

export const NAR_MAGIC = "nix-archive-1";

/** The longest entry name a NAR may hold: Linux's NAME_MAX, as Tvix enforces. */
export const MAX_NAME_LENGTH = 255;

/** The longest symlink target: PATH_MAX less its terminating NUL, as Tvix enforces. */
export const MAX_TARGET_LENGTH = 4095;

/** Zero bytes that follow `length` bytes to reach the next multiple of 8. */
export function paddingLength(length: number): number {
  // `%` rather than bitwise ops: contents lengths go beyond 32 bits.
  return (8 - (length % 8)) % 8;
}

/** Bytes a string token of `length` bytes takes on the wire. */
export function tokenLength(length: number): number {
  return 8 + length + paddingLength(length);
}

/** `strings` as consecutive tokens on the wire. */
export function encodeTokens(...strings: (string | Uint8Array)[]): Buffer {
  const parts: Uint8Array[] = [];
  for (const s of strings) {
    const bytes = typeof s === "string" ? Buffer.from(s) : s;
    const length = Buffer.alloc(8);
    length.writeUInt32LE(bytes.length);
    parts.push(length, bytes, Buffer.alloc(paddingLength(bytes.length)));
  }
  return Buffer.concat(parts);
}
