// The evaluator's outside world (EvalIO) with the store-aware parts filled in: files are
// read from the local file system, paths copied to the store ("${./x}") are added to the
// evaluation's store, and Nix's built-in files (<nix/fetchurl.nix>) exist.
import type { EvalIO, FileType } from "../eval/io.ts";
import { corepkgsFile } from "./corepkgs.ts";
import type { EvalStore } from "./eval-store.ts";

export class GlueIO implements EvalIO {
  readonly storeDir: string;
  private readonly files: EvalIO;
  private readonly store: EvalStore;

  constructor(files: EvalIO, store: EvalStore) {
    this.storeDir = store.storeDir;
    this.files = files;
    this.store = store;
  }

  pathExists(path: string): boolean {
    return corepkgsFile(path) !== undefined || this.files.pathExists(path);
  }

  readFile(path: string): string {
    return corepkgsFile(path) ?? this.files.readFile(path);
  }

  readDir(path: string): Map<string, FileType> {
    return this.files.readDir(path);
  }

  fileType(path: string): FileType {
    return corepkgsFile(path) !== undefined ? "regular" : this.files.fileType(path);
  }

  readLink(path: string): string {
    return this.files.readLink(path);
  }

  importPath(path: string, name: string): string {
    return this.store.addLocal(name, path, "recursive").storePath;
  }
}
