// Hashes given to builtins and derivation attributes (`outputHash`, `sha256`), parsed as
// Nix's newHashAllowEmpty: any of Nix's forms, and an empty string meaning "all zeros, to be
// corrected after a first build" (with a warning) when the algorithm is known.
import { EvalError } from "../eval/errors.ts";
import { Hash, type HashAlgo, isHashAlgo, digestSize } from "../nix-compat/hash.ts";
import { parseHash } from "../nix-compat/hash.ts";
import { nixCompat } from "./nix-compat-errors.ts";
import type { GlueServices } from "./services.ts";

/** Nix's parseHashTypeOpt: an unknown name is no algorithm at all. */
export function hashAlgoOrUndefined(name: string): HashAlgo | undefined {
  return isHashAlgo(name) ? name : undefined;
}

export function parseHashAllowEmpty(services: GlueServices, text: string, algo: HashAlgo | undefined): Hash {
  if (text === "") {
    if (algo === undefined) throw new EvalError("empty hash requires explicit hash type");
    const zero = new Hash(algo, new Uint8Array(digestSize(algo)));
    services.warn(`found empty hash, assuming '${zero.toSri()}'`);
    return zero;
  }
  return nixCompat(() => parseHash(text, algo));
}
