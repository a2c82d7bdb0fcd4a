// The store as an evaluation sees it: what this evaluation added (kept in a PendingStore for
// a real store to write later) over what an existing store directory already holds on disk.
// Builtins add texts, local paths and derivations through it and get Nix's store paths back;
// it answers what a derivation is and what a path refers to, which `derivationStrict` needs
// for input hashes and for `=drv` contexts (the closure of a derivation).
import { existsSync, lstatSync, readFileSync } from "node:fs";
import { EvalError } from "../eval/errors.ts";
import { encodeBytes } from "../nix-compat/byte-string.ts";
import { parseAterm } from "../nix-compat/derivation/aterm-parse.ts";
import type { Derivation } from "../nix-compat/derivation/derivation.ts";
import { DerivationHasher } from "../nix-compat/derivation/hash-modulo.ts";
import { type Hash, hashBytes, hashFile } from "../nix-compat/hash.ts";
import { narHash } from "../nix-compat/nar/writer.ts";
import { type FileIngestionMethod, makeFixedOutputPath, makeTextPath } from "../nix-compat/store-path.ts";
import { nixCompat } from "./nix-compat-errors.ts";
import { PendingStore } from "./pending-store.ts";

/** Decides, for the full path of each entry below the root, whether it is added (Nix's PathFilter). */
export type SourceFilter = (path: string) => boolean;

export class EvalStore {
  readonly storeDir: string;
  readonly pending: PendingStore;
  /** Hashes modulo of derivations, memoised; derivations made here are remembered as they are made. */
  readonly hasher: DerivationHasher;

  constructor(storeDir: string) {
    this.storeDir = storeDir;
    this.pending = new PendingStore(storeDir);
    this.hasher = new DerivationHasher((drvPath) => this.readDerivation(drvPath));
  }

  /** toFile: a text file with references (given as absolute store paths). */
  addText(name: string, contents: string, references: readonly string[]): string {
    const refs = [...new Set(references)].sort();
    const path = nixCompat(() => makeTextPath(name, hashBytes("sha256", contents), refs, this.storeDir).toAbsolute(this.storeDir));
    this.pending.add(path, { kind: "text", name, contents, references: refs });
    return path;
  }

  /**
   * A local file or tree as Nix's addToStore/computeStorePathForPath adds it: sha256 of its
   * NAR (recursive; the filter decides which entries go in) or of its bytes (flat, following
   * symlinks, unfiltered).
   */
  addLocal(name: string, localPath: string, method: FileIngestionMethod, filter?: SourceFilter): { storePath: string; hash: Hash } {
    if (!this.isOnDisk(localPath)) throw new EvalError(`getting status of '${localPath}': No such file or directory`);
    const excluded: string[] = [];
    const hash = nixCompat(() => {
      if (method === "flat") return hashFile("sha256", localPath);
      if (filter === undefined) return narHash(encodeBytes(localPath)).hash;
      const keep = (entry: Buffer): boolean => {
        const path = entry.toString("latin1");
        const kept = filter(path);
        if (!kept) excluded.push(path.slice(localPath.length + 1));
        return kept;
      };
      return narHash(encodeBytes(localPath), "sha256", keep).hash;
    });
    return { storePath: this.addHashed(name, localPath, method, hash, excluded), hash };
  }

  /** A local file or tree whose hash (sha256, of its bytes or NAR as `method` says) is known already. */
  addHashed(name: string, localPath: string, method: FileIngestionMethod, hash: Hash, excluded: string[] = []): string {
    const path = nixCompat(() => makeFixedOutputPath(name, method, hash, { storeDir: this.storeDir }).toAbsolute(this.storeDir));
    this.pending.add(path, { kind: "local", name, localPath, method, excluded });
    return path;
  }

  addDerivation(drvPath: string, drv: Derivation): void {
    this.pending.add(drvPath, { kind: "derivation", drv });
  }

  /** A derivation made in this evaluation, or a .drv file already in the store. */
  readDerivation(drvPath: string): Derivation {
    const entry = this.pending.get(drvPath);
    if (entry?.kind === "derivation") return entry.drv;
    if (!existsSync(encodeBytes(drvPath))) throw new EvalError(`path '${drvPath}' is not valid`);
    return nixCompat(() => parseAterm(readFileSync(encodeBytes(drvPath))));
  }

  /**
   * Nix's computeFSClosure: the path and everything it refers to, transitively. Paths already
   * on disk refer to what their .drv says, or (without a store database to ask) to nothing.
   */
  closure(storePath: string): string[] {
    const seen = new Set<string>();
    const todo = [storePath];
    for (let path; (path = todo.pop()) !== undefined; ) {
      if (seen.has(path)) continue;
      seen.add(path);
      todo.push(...this.references(path));
    }
    return [...seen];
  }

  /**
   * Where the file system has `path`, a path in this store (Nix's realiseContext and
   * toRealPath): a path inside a source added in this evaluation is read from that source.
   * Derivation outputs in the context would have to be built first, which is not possible yet.
   */
  realPath(path: string, context: Iterable<string>): string {
    for (const entry of context) {
      if (entry.startsWith("!")) {
        throw new EvalError(`cannot build '${entry.slice(entry.indexOf("!", 1) + 1)}' during evaluation: building derivations (import from derivation) is not supported yet`);
      }
    }
    const prefix = `${this.storeDir}/`;
    if (!path.startsWith(prefix)) return path;
    const slash = path.indexOf("/", prefix.length);
    const storePath = slash < 0 ? path : path.slice(0, slash);
    const entry = this.pending.get(storePath);
    if (entry?.kind !== "local" || entry.method !== "recursive" || entry.excluded.length > 0) return path;
    return entry.localPath + path.slice(storePath.length);
  }

  /** Whether `path` exists (Nix would ask its database whether the store path is valid). */
  isOnDisk(path: string): boolean {
    try {
      lstatSync(encodeBytes(path));
      return true;
    } catch {
      return false;
    }
  }

  private references(storePath: string): string[] {
    const pending = this.pending.references(storePath);
    if (pending !== undefined) return pending;
    if (storePath.endsWith(".drv")) {
      const drv = this.readDerivation(storePath);
      return [...drv.inputSrcs, ...drv.inputDrvs.keys()];
    }
    if (!this.isOnDisk(storePath)) throw new EvalError(`path '${storePath}' is not valid`);
    return [];
  }
}
