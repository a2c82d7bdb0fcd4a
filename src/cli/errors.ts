// How the CLI reports failures: Nix-style `error: …` lines and Nix's exit codes, never a
// stack trace for a user error.
import { CastoreError } from "../castore/errors.ts";
import { NixCompatError } from "../nix-compat/errors.ts";
import { filterAnsiEscapes } from "../nix-compat/log-text.ts";

/** Wrong command-line usage: exit code 1, like Nix's `UsageError`. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Prints `err` as Nix would and returns the exit code to use. */
export function reportError(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
  // Bad input to the store or a store that failed: the message says what, as a Nix error does.
  if (err instanceof NixCompatError || err instanceof CastoreError) {
    process.stderr.write(Buffer.from(formatNixError(err.message), "latin1"));
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  // The reader went away (`tvix nar dump … | head`): nothing more to say, as with Nix.
  if (e?.code === "EPIPE") return 0;
  if (e && typeof e === "object" && typeof e.code === "string" && typeof e.syscall === "string") {
    // A failed system call: say which file and why, as Nix does ("getting status of …").
    const where = e.path ? ` '${e.path}'` : "";
    process.stderr.write(`error: ${e.syscall}${where}: ${systemMessage(e)}\n`);
    return 1;
  }
  process.stderr.write(`error: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.TVIX_DEBUG) process.stderr.write(`${e?.stack}\n`);
  return 1;
}

function systemMessage(e: NodeJS.ErrnoException): string {
  // Node's messages repeat the syscall and path; keep only the description.
  const match = /^[A-Z]+: ([^,]+)/.exec(e.message);
  return match ? match[1] : e.message;
}

/** `error: MESSAGE` as Nix's logger prints it: later lines indented under the message, tabs expanded. */
export function formatNixError(message: string): string {
  return `${filterAnsiEscapes(`error: ${message.replaceAll("\n", "\n       ")}`)}\n`;
}
