// EvalIO over the local file system with a read-only store: importing a path only computes
// its store path (sha256 of the NAR, "source" path), as `nix-instantiate --eval` does in its
// default read-only mode. Paths are byte strings, passed to the OS as their bytes.
import * as fs from "node:fs";
import { narHash } from "../nix-compat/nar/writer.ts";
import { DEFAULT_STORE_DIR, makeFixedOutputPath } from "../nix-compat/store-path.ts";
import { EvalError } from "./errors.ts";
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

export class LocalIO implements EvalIO {
  readonly storeDir: string;

  constructor(storeDir: string = DEFAULT_STORE_DIR) {
    this.storeDir = storeDir;
  }

  pathExists(path: string): boolean {
    return fs.existsSync(bytes(path));
  }

  readFile(path: string): string {
    return fs.readFileSync(bytes(path)).toString("latin1");
  }

  readDir(path: string): Map<string, FileType> {
    const entries = new Map<string, FileType>();
    for (const entry of fs.readdirSync(bytes(path), { withFileTypes: true, encoding: "buffer" })) {
      entries.set(entry.name.toString("latin1"), typeOfStat(entry));
    }
    return entries;
  }

  fileType(path: string): FileType {
    return typeOfStat(fs.lstatSync(bytes(path)));
  }

  realPath(path: string): string {
    return fs.realpathSync(bytes(path), { encoding: "buffer" }).toString("latin1");
  }

  importPath(path: string, name: string): string {
    if (!this.pathExists(path)) throw new EvalError(`getting status of '${path}': No such file or directory`);
    const { hash } = narHash(bytes(path));
    return makeFixedOutputPath(name, "recursive", hash, { storeDir: this.storeDir }).toAbsolute(this.storeDir);
  }
}
