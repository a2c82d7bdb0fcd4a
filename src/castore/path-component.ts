// Names of directory entries and symlink targets, with castore's rules. Names are byte strings
// (latin1 JS strings, one char per byte, as everywhere in tvix-ts).
import { CastoreError } from "./errors.ts";

export const MAX_NAME_LENGTH = 255;
export const MAX_SYMLINK_TARGET_LENGTH = 4095;

/** Why `name` cannot name a directory entry, or undefined if it can. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return "it is empty";
  if (name === "." || name === "..") return `'${name}' is not allowed`;
  if (name.includes("/")) return "it contains '/'";
  if (name.includes("\0")) return "it contains a NUL byte";
  if (name.length > MAX_NAME_LENGTH) return `it is longer than ${MAX_NAME_LENGTH} bytes`;
  return undefined;
}

export function validateName(name: string): void {
  const problem = nameProblem(name);
  if (problem !== undefined) throw new CastoreError("invalid-argument", `invalid entry name ${JSON.stringify(name)}: ${problem}`);
}

export function validateSymlinkTarget(target: string, name: string): void {
  const problem =
    target.length === 0
      ? "it is empty"
      : target.includes("\0")
        ? "it contains a NUL byte"
        : target.length > MAX_SYMLINK_TARGET_LENGTH
          ? `it is longer than ${MAX_SYMLINK_TARGET_LENGTH} bytes`
          : undefined;
  if (problem !== undefined) throw new CastoreError("invalid-argument", `invalid target of symlink ${JSON.stringify(name)}: ${problem}`);
}
