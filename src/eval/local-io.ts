// EvalIO over the local file system with a read-only store: importing a path only computes
// its store path (sha256 of the NAR, "source" path), as `nix-instantiate --eval` does in its
// default read-only mode. Paths are byte strings, passed to the OS as their bytes; failures
// become evaluation errors worded as Nix's (`opening file '/x': No such file or directory`).
import * as fs from "node:fs";
import { narHash } from "../nix-compat/nar/writer.ts";
import { DEFAULT_STORE_DIR, makeFixedOutputPath } from "../nix-compat/store-path.ts";
import { strerror } from "../nix-compat/strerror.ts";
import { SysError } from "./errors.ts";
import type { EvalIO, FileType } from "./io.ts";

function bytes(path: string): Buffer {
  return Buffer.from(path, "latin1");
}

function typeOfStat(stat: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): FileType {
  if (stat.isFile()) return "regular";
  if (stat.isDirectory()) return "directory";
  if (stat.isSymbolicLink()) return "symlink";
  return "unknown";
}


/** Runs a file-system call; a failure becomes Nix's "WHAT: strerror" error. */
function attempt<T>(what: string, action: () => T): T {
  try {
    return action();
  } catch (err) {
    const reason = strerror(err);
    if (reason === undefined) throw err;
    throw new SysError(`${what}: ${reason}`);
  }
}

export class LocalIO implements EvalIO {
  readonly storeDir: string;

  constructor(storeDir: string = DEFAULT_STORE_DIR) {
    this.storeDir = storeDir;
  }

  /** Like Nix's pathExists: lstat, so a dangling symlink exists. */
  pathExists(path: string): boolean {
    try {
      fs.lstatSync(bytes(path));
      return true;
    } catch {
      return false;
    }
  }

  readFile(path: string): string {
    const fd = attempt(`opening file '${path}'`, () => fs.openSync(bytes(path), "r"));
    try {
      return attempt("reading from file", () => fs.readFileSync(fd)).toString("latin1");
    } finally {
      fs.closeSync(fd);
    }
  }

  readDir(path: string): Map<string, FileType> {
    const entries = new Map<string, FileType>();
    const dirents = attempt(`opening directory '${path}'`, () => fs.readdirSync(bytes(path), { withFileTypes: true, encoding: "buffer" }));
    for (const entry of dirents) entries.set(entry.name.toString("latin1"), typeOfStat(entry));
    return entries;
  }

  fileType(path: string): FileType {
    return typeOfStat(attempt(`getting status of '${path}'`, () => fs.lstatSync(bytes(path))));
  }

  readLink(path: string): string {
    return attempt(`reading symbolic link '${path}'`, () => fs.readlinkSync(bytes(path), { encoding: "buffer" })).toString("latin1");
  }

  importPath(path: string, name: string): string {
    const { hash } = attempt(`getting status of '${path}'`, () => narHash(bytes(path)));
    return makeFixedOutputPath(name, "recursive", hash, { storeDir: this.storeDir }).toAbsolute(this.storeDir);
  }
}
