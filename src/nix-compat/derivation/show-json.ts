// The JSON of `nix show-derivation` (Nix 2.8): one object keyed by drv path, in store path
// order, with outputs, inputSrcs, inputDrvs, system, builder, args and env, in that order.
import { compareBytes } from "../byte-string.ts";
import { type NixJson, formatNixJson } from "../nix-json.ts";
import { type Derivation, type DerivationOutput, methodAlgo, sortedEntries, sortedUnique } from "./derivation.ts";

function outputJson(output: DerivationOutput): Map<string, NixJson> {
  switch (output.kind) {
    case "inputAddressed":
      return new Map([["path", output.path]]);
    case "deferred":
      return new Map();
    case "fixed":
      return new Map([
        ["path", output.path],
        ["hashAlgo", methodAlgo(output.hash.method, output.hash.hash.algo)],
        ["hash", output.hash.hash.encode("base16")],
      ]);
    case "floating":
      return new Map([["hashAlgo", methodAlgo(output.method, output.hashAlgo)]]);
    case "impure":
      return new Map<string, NixJson>([
        ["hashAlgo", methodAlgo(output.method, output.hashAlgo)],
        ["impure", true],
      ]);
  }
}

/** One derivation's object, as `nix show-derivation` prints it under its drv path. */
export function derivationJson(drv: Derivation): Map<string, NixJson> {
  return new Map<string, NixJson>([
    ["outputs", new Map(sortedEntries(drv.outputs).map(([name, output]) => [name, outputJson(output)]))],
    ["inputSrcs", sortedUnique(drv.inputSrcs)],
    ["inputDrvs", new Map(sortedEntries(drv.inputDrvs).map(([path, names]) => [path, sortedUnique(names)]))],
    ["system", drv.system],
    ["builder", drv.builder],
    ["args", drv.args],
    ["env", new Map(sortedEntries(drv.env))],
  ]);
}

/** The whole output of `nix show-derivation` for `drvs` (drv path → derivation), newline included. */
export function showDerivations(drvs: ReadonlyMap<string, Derivation>): string {
  const entries = [...drvs].sort((a, b) => compareBytes(a[0], b[0]));
  return `${formatNixJson(new Map(entries.map(([path, drv]) => [path, derivationJson(drv)])), true)}\n`;
}
