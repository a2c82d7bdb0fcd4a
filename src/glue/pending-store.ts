// What an evaluation would have added to the store. There is no store component yet, and
// computing store paths needs none; so the builtins record here, per store path, the data a
// store needs to add that path later (`tvix instantiate`, the store issue): the text of
// toFile results, the derivations (their .drv text is printAterm of them), and for sources
// and fetched trees the local path, how it is ingested and what a filter left out.
import type { Derivation } from "../nix-compat/derivation/derivation.ts";
import type { FileIngestionMethod } from "../nix-compat/store-path.ts";

export type PendingPath =
  /** builtins.toFile: a text file referring to `references`. */
  | { kind: "text"; name: string; contents: string; references: string[] }
  /** A store derivation; the .drv file is its ATerm, referring to its inputs. */
  | { kind: "derivation"; drv: Derivation }
  /**
   * A local file or tree (a source path, a download or an unpacked tarball in the fetcher
   * cache), ingested as `method`. `excluded` lists the paths (relative, "/"-separated byte
   * strings) that a filter left out, each with everything below it.
   */
  | { kind: "local"; name: string; localPath: string; method: FileIngestionMethod; excluded: string[] };

export class PendingStore {
  readonly storeDir: string;
  private readonly paths = new Map<string, PendingPath>();
  /** Called for each path when it is first recorded (pending-stream.ts sends them to the main thread). */
  onAdd?: (storePath: string, entry: PendingPath) => void;

  constructor(storeDir: string) {
    this.storeDir = storeDir;
  }

  add(storePath: string, entry: PendingPath): void {
    if (this.paths.has(storePath)) return;
    this.paths.set(storePath, entry);
    this.onAdd?.(storePath, entry);
  }

  get(storePath: string): PendingPath | undefined {
    return this.paths.get(storePath);
  }

  /** The recorded derivation that has `outputPath` as an output, if any (for import from derivation). */
  deriverOf(outputPath: string): string | undefined {
    for (const [drvPath, entry] of this.paths) {
      if (entry.kind !== "derivation") continue;
      for (const output of entry.drv.outputs.values()) if ((output as { path?: string }).path === outputPath) return drvPath;
    }
    return undefined;
  }

  /** Every recorded path, in the order they were added (inputs before what uses them). */
  entries(): IterableIterator<[string, PendingPath]> {
    return this.paths.entries();
  }

  /** The store paths a recorded path refers to; undefined for paths not recorded here. */
  references(storePath: string): string[] | undefined {
    const entry = this.paths.get(storePath);
    if (entry === undefined) return undefined;
    switch (entry.kind) {
      case "text":
        return entry.references;
      case "derivation":
        return [...new Set([...entry.drv.inputSrcs, ...entry.drv.inputDrvs.keys()])];
      case "local":
        return [];
    }
  }
}
