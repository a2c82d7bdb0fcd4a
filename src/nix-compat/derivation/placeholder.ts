// Output placeholders: the strings that stand for an output path that is not known while the
// derivation is written (floating content-addressed and impure outputs, `builtins.placeholder`).
import { hashBytes } from "../hash.ts";

/** Nix's hashPlaceholder: `/` and the nixbase32 sha256 of `nix-output:<output name>`. */
export function hashPlaceholder(outputName: string): string {
  return `/${hashBytes("sha256", `nix-output:${outputName}`).encode("nix32")}`;
}
