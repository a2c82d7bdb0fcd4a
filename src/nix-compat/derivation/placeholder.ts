// Output placeholders: the strings that stand for an output path that is not known while the
// derivation is written (floating content-addressed and impure outputs, `builtins.placeholder`)
// or before it is built (outputs of such derivations, seen from derivations that use them).
import { hashBytes } from "../hash.ts";
import { outputPathName, type StorePath } from "../store-path.ts";

/** Nix's hashPlaceholder: `/` and the nixbase32 sha256 of `nix-output:<output name>`. */
export function hashPlaceholder(outputName: string): string {
  return `/${hashBytes("sha256", `nix-output:${outputName}`).encode("nix32")}`;
}

/**
 * Nix's downstreamPlaceholder: what stands for an output whose path is not known before the
 * build (floating content-addressed or deferred), made from the drv path and output name.
 */
export function downstreamPlaceholder(drvPath: StorePath, outputName: string): string {
  const drvName = drvPath.name.slice(0, -".drv".length);
  const clearText = `nix-upstream-output:${drvPath.hashPart}:${outputPathName(drvName, outputName)}`;
  return `/${hashBytes("sha256", clearText).encode("nix32")}`;
}
