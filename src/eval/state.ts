// EvalState: what one evaluation shares — the outside world (EvalIO), settings and caches.
// Builtins receive it as their first argument.
import { EvalError } from "./errors.ts";
import type { EvalIO } from "./io.ts";

export class EvalState {
  readonly io: EvalIO;
  /** Paths already copied to the store ("${./x}"), like Nix's srcToStore. */
  private readonly srcToStore = new Map<string, string>();

  constructor(io: EvalIO) {
    this.io = io;
  }

  /** Copies a source path to the store (once) and returns the store path. */
  copyPathToStore(path: string): string {
    let storePath = this.srcToStore.get(path);
    if (storePath === undefined) {
      if (path.endsWith(".drv")) throw new EvalError("file names are not allowed to end in '.drv'");
      storePath = this.io.importPath(path, path.slice(path.lastIndexOf("/") + 1));
      this.srcToStore.set(path, storePath);
    }
    return storePath;
  }
}
