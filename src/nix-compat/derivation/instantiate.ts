// Writing a derivation as Nix 2.8's derivationStrict does: fill in the output paths (and the env
// entries named after outputs), then compute the `.drv` path from the ATerm and its references.
import { hashBytes } from "../hash.ts";
import { type StorePath, makeFixedOutputPath, makeOutputPath, makeTextPath } from "../store-path.ts";
import { printAterm } from "./aterm-print.ts";
import { type Derivation, type DerivationOutput, derivationKind } from "./derivation.ts";
import type { DerivationHasher } from "./hash-modulo.ts";
import { hashPlaceholder } from "./placeholder.ts";

/** The store path of the `.drv` file of `drv` named `name`: a text path referring to its inputs. */
export function derivationPath(drv: Derivation, name: string, storeDir?: string): StorePath {
  const references = [...new Set([...drv.inputSrcs, ...drv.inputDrvs.keys()])];
  return makeTextPath(`${name}.drv`, hashBytes("sha256", printAterm(drv)), references, storeDir);
}

export interface Instantiated {
  drv: Derivation;
  drvPath: string;
}

/**
 * Completes a derivation as `builtins.derivation` builds it: input-addressed outputs given as
 * `deferred`, fixed outputs with an empty path. Returns the finished derivation (output paths
 * set, env entries of outputs set) and its drv path, and remembers its hash in `hasher` so that
 * derivations depending on it need not resolve it.
 */
export function instantiateDerivation(name: string, draft: Derivation, hasher: DerivationHasher, storeDir?: string): Instantiated {
  const outputs = new Map(draft.outputs);
  const env = new Map(draft.env);
  const kind = derivationKind(draft);
  if (kind === "fixed") {
    const out = outputs.get("out") as Extract<DerivationOutput, { kind: "fixed" }>;
    const path = makeFixedOutputPath(name, out.hash.method, out.hash.hash, { storeDir }).toAbsolute(storeDir);
    outputs.set("out", { ...out, path });
    env.set("out", path);
  } else if (kind === "floating" || kind === "impure") {
    for (const outputName of outputs.keys()) env.set(outputName, hashPlaceholder(outputName));
  } else {
    for (const outputName of outputs.keys()) {
      outputs.set(outputName, { kind: "deferred" });
      env.set(outputName, "");
    }
    const modulo = hasher.hashModulo({ ...draft, outputs, env }, true);
    if (!modulo.deferred) {
      for (const [outputName, hash] of modulo.hashes) {
        const path = makeOutputPath(hash, outputName, name, storeDir).toAbsolute(storeDir);
        outputs.set(outputName, { kind: "inputAddressed", path });
        env.set(outputName, path);
      }
    }
  }
  const drv = { ...draft, outputs, env };
  const drvPath = derivationPath(drv, name, storeDir).toAbsolute(storeDir);
  hasher.remember(drvPath, hasher.hashModulo(drv, false));
  return { drv, drvPath };
}
