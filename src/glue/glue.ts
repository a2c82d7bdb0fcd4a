// Everything an EvalState needs to be a full Nix evaluator rather than a pure one: the
// store-aware builtins and an EvalIO that adds to the evaluation's store. Whoever creates an
// EvalState for real work (`tvix eval`, later `tvix instantiate`) starts here; the store keeps
// what the evaluation added, for a real store to write.
import type { Builtin } from "../eval/builtins/registry.ts";
import type { EvalIO } from "../eval/io.ts";
import { LocalIO } from "../eval/local-io.ts";
import { encodeBytes } from "../nix-compat/byte-string.ts";
import { DEFAULT_STORE_DIR } from "../nix-compat/store-path.ts";
import { addPathBuiltins } from "./add-path.ts";
import { defaultCacheDir } from "./fetch/cache-dir.ts";
import { fetchBuiltins } from "./fetch/builtins.ts";
import { derivationBuiltin } from "./derivation-nix.ts";
import { derivationStrictBuiltin } from "./derivation-strict.ts";
import { EvalStore } from "./eval-store.ts";
import { GlueIO, type Realiser } from "./glue-io.ts";
import { placeholderBuiltin } from "./placeholder.ts";
import type { GlueServices } from "./services.ts";
import { storePathBuiltin } from "./store-path-builtin.ts";
import { toFileBuiltin } from "./to-file.ts";

export interface GlueOptions {
  storeDir?: string;
  experimentalFeatures?: Iterable<string>;
  /** Where fetchers keep downloads and unpacked trees (default: $XDG_CACHE_HOME/tvix). */
  cacheDir?: string;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
  /** Realises store paths the evaluation reads but local disk lacks (import from derivation); without one they are read as they are. */
  realiser?: Realiser;
}

export interface Glue {
  io: EvalIO;
  builtins: Builtin[];
  store: EvalStore;
}

export function createGlue(options: GlueOptions = {}): Glue {
  const store = new EvalStore(options.storeDir ?? DEFAULT_STORE_DIR);
  const services: GlueServices = {
    store,
    experimentalFeatures: new Set(options.experimentalFeatures ?? []),
    cacheDir: options.cacheDir ?? defaultCacheDir(),
    warn: options.warn ?? ((message) => process.stderr.write(encodeBytes(`warning: ${message}\n`))),
  };
  const builtins: Builtin[] = [
    derivationBuiltin,
    derivationStrictBuiltin(services),
    placeholderBuiltin,
    toFileBuiltin(services),
    storePathBuiltin(services),
    ...addPathBuiltins(services),
    ...fetchBuiltins(services),
  ];
  return { io: new GlueIO(new LocalIO(store.storeDir), store, options.realiser), builtins, store };
}
