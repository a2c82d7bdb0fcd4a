// Writes a derivation as the ATerm `Derive(...)` that Nix stores in `.drv` files, byte for byte
// as Nix 2.8's `Derivation::unparse`. Nix escapes only builder, args and env; every other
// string (output names and paths, store paths, system) is written between quotes unescaped.
import { encodeBytes } from "../byte-string.ts";
import { type Derivation, type DerivationOutput, methodAlgo, sortedEntries, sortedUnique } from "./derivation.ts";

export interface PrintOptions {
  /** Blank the output paths and the env entries named like outputs (to compute output paths). */
  maskOutputs?: boolean;
  /** Print these instead of `inputDrvs`: hashDerivationModulo's input hashes → output names. */
  inputDrvs?: ReadonlyMap<string, Iterable<string>>;
}

const ESCAPES: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escaped(s: string): string {
  return `"${s.replace(/["\\\n\r\t]/g, (c) => ESCAPES[c])}"`;
}

function quoted(s: string): string {
  return `"${s}"`;
}

function list(items: readonly string[], quote: (s: string) => string): string {
  return `[${items.map(quote).join(",")}]`;
}

/** The path, hashAlgo and hash fields of an output, as Nix writes them. */
function outputFields(output: DerivationOutput, mask: boolean): [string, string, string] {
  switch (output.kind) {
    case "inputAddressed":
      return [mask ? "" : output.path, "", ""];
    case "deferred":
      return ["", "", ""];
    case "fixed":
      return [mask ? "" : output.path, methodAlgo(output.hash.method, output.hash.hash.algo), output.hash.hash.encode("base16")];
    case "floating":
      return ["", methodAlgo(output.method, output.hashAlgo), ""];
    case "impure":
      return ["", methodAlgo(output.method, output.hashAlgo), "impure"];
  }
}

/** The ATerm text of `drv`, as the bytes Nix writes (and hashes). */
export function printAterm(drv: Derivation, options: PrintOptions = {}): Buffer {
  const mask = options.maskOutputs ?? false;
  const outputs = sortedEntries(drv.outputs).map(([name, output]) => `(${[name, ...outputFields(output, mask)].map(quoted).join(",")})`);
  const inputDrvs = sortedEntries(options.inputDrvs ?? drv.inputDrvs).map(
    ([path, names]) => `(${quoted(path)},${list(sortedUnique(names), quoted)})`,
  );
  const env = sortedEntries(drv.env).map(([name, value]) => `(${escaped(name)},${escaped(mask && drv.outputs.has(name) ? "" : value)})`);
  const text =
    `Derive([${outputs.join(",")}],[${inputDrvs.join(",")}],${list(sortedUnique(drv.inputSrcs), quoted)},` +
    `${quoted(drv.system)},${escaped(drv.builder)},${list(drv.args, escaped)},[${env.join(",")}])`;
  return encodeBytes(text);
}
