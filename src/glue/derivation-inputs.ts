// A derivation's inputs come from the string contexts of its attributes, as in Nix 2.8's
// derivationStrict: `!out!/…drv` is one output of a derivation, a plain store path is a
// source, and `=/…drv` (the drv path itself was used, so the builder may reach everything
// it refers to) makes the derivation's whole closure an input: every path in it a source,
// every derivation in it with all its outputs.
import { sortedUnique } from "../nix-compat/derivation/derivation.ts";
import { parseStorePath } from "../nix-compat/store-path.ts";
import type { EvalStore } from "./eval-store.ts";
import { nixCompat } from "./nix-compat-errors.ts";

export interface DerivationInputs {
  inputDrvs: Map<string, string[]>;
  inputSrcs: string[];
}

export function derivationInputs(store: EvalStore, context: Iterable<string>): DerivationInputs {
  const inputDrvs = new Map<string, Set<string>>();
  const inputSrcs = new Set<string>();
  const addOutput = (drvPath: string, output: string): void => {
    const outputs = inputDrvs.get(drvPath) ?? new Set();
    inputDrvs.set(drvPath, outputs.add(output));
  };
  for (const entry of [...context].sort()) {
    if (entry.startsWith("=")) {
      for (const path of store.closure(entry.slice(1))) {
        inputSrcs.add(path);
        if (path.endsWith(".drv")) for (const output of store.readDerivation(path).outputs.keys()) addOutput(path, output);
      }
    } else if (entry.startsWith("!")) {
      const bang = entry.indexOf("!", 1);
      addOutput(checkedStorePath(store, entry.slice(bang + 1)), entry.slice(1, bang));
    } else {
      inputSrcs.add(checkedStorePath(store, entry));
    }
  }
  return {
    inputDrvs: new Map([...inputDrvs].map(([drvPath, outputs]) => [drvPath, sortedUnique(outputs)])),
    inputSrcs: sortedUnique(inputSrcs),
  };
}

function checkedStorePath(store: EvalStore, path: string): string {
  nixCompat(() => parseStorePath(path, store.storeDir));
  return path;
}
