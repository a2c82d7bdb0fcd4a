// The store derivation (`.drv`) as Nix 2.8 models it: outputs, input derivations and sources,
// system, builder, args and environment. Strings are byte strings in the sense of
// ../byte-string.ts; store paths are absolute. Maps may be filled in any order: everything that
// prints a derivation sorts keys by bytes, as Nix's std::map does.
import { compareBytes } from "../byte-string.ts";
import { NixCompatError } from "../errors.ts";
import type { Hash, HashAlgo } from "../hash.ts";
import type { FileIngestionMethod } from "../store-path.ts";

/** The content hash of a fixed output, and whether it covers a flat file or a NAR. */
export interface FixedOutputHash {
  method: FileIngestionMethod;
  hash: Hash;
}

/**
 * One output. Input-addressed outputs have their path; a `deferred` one gets it later (Nix
 * writes `""`); fixed outputs know path and content hash; floating (ca-derivations) and impure
 * outputs know only how they will be hashed.
 */
export type DerivationOutput =
  | { kind: "inputAddressed"; path: string }
  | { kind: "deferred" }
  | { kind: "fixed"; path: string; hash: FixedOutputHash }
  | { kind: "floating"; method: FileIngestionMethod; hashAlgo: HashAlgo }
  | { kind: "impure"; method: FileIngestionMethod; hashAlgo: HashAlgo };

export interface Derivation {
  outputs: Map<string, DerivationOutput>;
  /** Input derivation path → the names of the outputs used (sorted, unique). */
  inputDrvs: Map<string, string[]>;
  inputSrcs: string[];
  system: string;
  builder: string;
  args: string[];
  env: Map<string, string>;
}

/** `r:sha256` or `sha256`: an output's method and algorithm as Nix prints them. */
export function methodAlgo(method: FileIngestionMethod, algo: HashAlgo): string {
  return `${method === "recursive" ? "r:" : ""}${algo}`;
}

/** The entries of `map` in byte order of their keys. */
export function sortedEntries<V>(map: ReadonlyMap<string, V>): [string, V][] {
  return [...map].sort((a, b) => compareBytes(a[0], b[0]));
}

/** `values` in byte order, without duplicates. */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareBytes);
}

/** How a derivation's outputs are addressed as a whole (Nix's `DerivationType`). */
export type DerivationKind = "inputAddressed" | "deferred" | "fixed" | "floating" | "impure";

/** All outputs must be of one kind, and a fixed-output derivation has exactly one, `out`. */
export function derivationKind(drv: Derivation): DerivationKind {
  const kinds = new Set([...drv.outputs.values()].map((output) => output.kind));
  if (kinds.size === 0) throw new NixCompatError("derivation must have at least one output");
  if (kinds.size > 1) throw new NixCompatError(`can't mix derivation output types (${[...kinds].join(", ")})`);
  const [kind] = kinds;
  if (kind === "fixed") {
    if (drv.outputs.size > 1) throw new NixCompatError("only one fixed output is allowed for now");
    if (!drv.outputs.has("out")) throw new NixCompatError('single fixed output must be named "out"');
  }
  return kind;
}
