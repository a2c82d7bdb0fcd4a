// The evaluator's outside world (EvalIO) with the store-aware parts filled in: files are
// read from the local file system, paths copied to the store ("${./x}") are added to the
// evaluation's store, and Nix's built-in files (<nix/fetchurl.nix>) exist. So do the texts this
// evaluation wrote with toFile, which Nix would have written to the store: importing one is
// how nixpkgs' module tests check "imports can depend on derivations".
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
    return this.virtualFile(path) !== undefined || this.files.pathExists(path);
  }

  readFile(path: string): string {
    return this.virtualFile(path) ?? this.files.readFile(path);
  }

  readDir(path: string): Map<string, FileType> {
    return this.files.readDir(path);
  }

  fileType(path: string): FileType {
    return this.virtualFile(path) !== undefined ? "regular" : this.files.fileType(path);
  }

  readLink(path: string): string {
    return this.files.readLink(path);
  }

  /** The contents of a file that exists here but need not be on disk. */
  private virtualFile(path: string): string | undefined {
    const pending = this.store.pending.get(path);
    return pending?.kind === "text" ? pending.contents : corepkgsFile(path);
  }

  importPath(path: string, name: string): string {
    return this.store.addLocal(name, path, "recursive").storePath;
  }
}
