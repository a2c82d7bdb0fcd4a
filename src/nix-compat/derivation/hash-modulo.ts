// Nix 2.8's hashDerivationModulo: the hash that input-addressed output paths are made from.
// A fixed-output derivation hashes only its content hash and path, so how it fetches does not
// matter downstream; any other derivation hashes its ATerm with each input derivation replaced
// by that input's own hash modulo (memoised here, as Nix memoises it in `drvHashes`).
import { NixCompatError } from "../errors.ts";
import { type Hash, hashBytes } from "../hash.ts";
import { printAterm } from "./aterm-print.ts";
import { type Derivation, derivationKind, methodAlgo } from "./derivation.ts";

/**
 * Per-output hashes. `deferred` is set when output paths cannot be known before building:
 * the derivation or one of its inputs is floating content-addressed or impure.
 */
export interface DrvHash {
  hashes: Map<string, Hash>;
  deferred: boolean;
}

/** Looks up an input derivation by its drv path (from a store, the disk, the evaluator). */
export type DerivationResolver = (drvPath: string) => Derivation;

/** What Nix gives the outputs of impure derivations. */
const IMPURE_OUTPUT_HASH = hashBytes("sha256", "impure");

export class DerivationHasher {
  private readonly resolve: DerivationResolver;
  private readonly memo = new Map<string, DrvHash>();

  constructor(resolve: DerivationResolver) {
    this.resolve = resolve;
  }

  /** Nix's pathDerivationModulo: the (unmasked) hash modulo of the derivation at `drvPath`. */
  ofPath(drvPath: string): DrvHash {
    let result = this.memo.get(drvPath);
    if (!result) {
      result = this.hashModulo(this.resolve(drvPath), false);
      this.memo.set(drvPath, result);
    }
    return result;
  }

  /** Records the hash of a derivation just written, so that it is never resolved. */
  remember(drvPath: string, drvHash: DrvHash): void {
    this.memo.set(drvPath, drvHash);
  }

  /**
   * Nix's hashDerivationModulo. `maskOutputs` blanks output paths and their env entries:
   * that is the hash output paths are computed from.
   */
  hashModulo(drv: Derivation, maskOutputs: boolean): DrvHash {
    const kind = derivationKind(drv);
    if (kind === "fixed") {
      const hashes = new Map<string, Hash>();
      for (const [name, output] of drv.outputs) {
        if (output.kind !== "fixed") continue;
        const { method, hash } = output.hash;
        hashes.set(name, hashBytes("sha256", `fixed:out:${methodAlgo(method, hash.algo)}:${hash.encode("base16")}:${output.path}`));
      }
      return { hashes, deferred: false };
    }
    if (kind === "impure") {
      return { hashes: new Map([...drv.outputs.keys()].map((name) => [name, IMPURE_OUTPUT_HASH])), deferred: true };
    }
    let deferred = kind === "floating";
    const inputHashes = new Map<string, Set<string>>();
    for (const [drvPath, outputNames] of drv.inputDrvs) {
      const input = this.ofPath(drvPath);
      deferred ||= input.deferred;
      for (const name of outputNames) {
        const hash = input.hashes.get(name);
        if (!hash) throw new NixCompatError(`derivation '${drvPath}' has no output '${name}'`);
        const hex = hash.encode("base16");
        const names = inputHashes.get(hex) ?? new Set();
        inputHashes.set(hex, names.add(name));
      }
    }
    const hash = hashBytes("sha256", printAterm(drv, { maskOutputs, inputDrvs: inputHashes }));
    return { hashes: new Map([...drv.outputs.keys()].map((name) => [name, hash])), deferred };
  }
}
