// The evaluator's outside world (EvalIO) with the store-aware parts filled in: files are
// read from the local file system, paths copied to the store ("${./x}") are added to the
// evaluation's store, and Nix's built-in files (<nix/fetchurl.nix>) exist. So do the texts this
// evaluation wrote with toFile, which Nix would have written to the store: importing one is
// how nixpkgs' module tests check "imports can depend on derivations". With a realiser (the
// evaluation worker of `tvix build`, realise-channel.ts), a store path not on local disk, such as
// an output of a derivation instantiated here (import from derivation), is realised first and
// read where the realiser put it.
import { PlainError } from "../eval/errors.ts";
import { currentCallPos } from "../eval/runtime/call-stack.ts";
import type { EvalIO, FileType } from "../eval/io.ts";
import { corepkgsFile } from "./corepkgs.ts";
import type { EvalStore } from "./eval-store.ts";
import type { RealiseReply } from "./realise-channel.ts";

/** Makes `storePath` (an output of `drvPath` if given) present on local disk; blocks until it is. */
export type Realiser = (storePath: string, drvPath: string | undefined) => RealiseReply;

export class GlueIO implements EvalIO {
  readonly storeDir: string;
  private readonly files: EvalIO;
  private readonly store: EvalStore;
  private readonly realiser: Realiser | undefined;
  /** Store paths looked at: where each is on local disk (itself when it is there already). */
  private readonly located = new Map<string, string>();

  constructor(files: EvalIO, store: EvalStore, realiser?: Realiser) {
    this.storeDir = store.storeDir;
    this.files = files;
    this.store = store;
    this.realiser = realiser;
  }

  pathExists(path: string): boolean {
    return this.virtualFile(path) !== undefined || this.files.pathExists(this.local(path));
  }

  readFile(path: string): string {
    return this.virtualFile(path) ?? this.files.readFile(this.local(path));
  }

  readDir(path: string): Map<string, FileType> {
    return this.files.readDir(this.local(path));
  }

  fileType(path: string): FileType {
    return this.virtualFile(path) !== undefined ? "regular" : this.files.fileType(this.local(path));
  }

  readLink(path: string): string {
    return this.files.readLink(this.local(path));
  }

  /**
   * Where `path` is on local disk: below a store path that a derivation here produces, or that
   * is not on disk, the realiser's copy of that store path; elsewhere (or without a realiser)
   * `path` itself, so that a missing path gives Nix's error for it.
   */
  private local(path: string): string {
    const prefix = `${this.storeDir}/`;
    if (this.realiser === undefined || !path.startsWith(prefix)) return path;
    const slash = path.indexOf("/", prefix.length);
    const storePath = slash < 0 ? path : path.slice(0, slash);
    let located = this.located.get(storePath);
    if (located === undefined) {
      const drvPath = this.store.pending.deriverOf(storePath);
      if (drvPath === undefined && (this.store.pending.get(storePath)?.kind === "text" || this.files.pathExists(storePath))) located = storePath;
      else {
        const reply = this.realiser(storePath, drvPath);
        if ("error" in reply) {
          // Nix's words and place: the builder's error, at the call that needed the path.
          const err = new PlainError(reply.error);
          err.addTrace(currentCallPos(), `while realising the context of path '${path}'`);
          throw err;
        }
        located = "absent" in reply ? storePath : reply.path;
      }
      this.located.set(storePath, located);
    }
    return located + path.slice(storePath.length);
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
