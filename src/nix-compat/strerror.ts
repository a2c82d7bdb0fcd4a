// The C library's strerror() texts, which Nix puts after "what: " when a system call fails;
// Node's own messages word some errors differently.
import { getSystemErrorMessage } from "node:util";

/** strerror() texts of the errors file access meets. */
const STRERROR: Record<string, string> = {
  ENOENT: "No such file or directory",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EACCES: "Permission denied",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
};

/** strerror() of a failed Node system call, or undefined when `err` is not one. */
export function strerror(err: unknown): string | undefined {
  const { code, errno } = (err ?? {}) as NodeJS.ErrnoException;
  if (typeof code !== "string") return undefined;
  if (Object.hasOwn(STRERROR, code)) return STRERROR[code];
  if (typeof errno !== "number") return code;
  const text = getSystemErrorMessage(errno);
  return `${text[0].toUpperCase()}${text.slice(1)}`;
}
