// hashString: the base-16 digest of a string's bytes (its context is ignored).
import { type HashAlgo, hashBytes, isHashAlgo } from "../../nix-compat/hash.ts";
import { EvalError } from "../errors.ts";
import { forceString, forceStringNoContext } from "../runtime/force.ts";
import { stringText } from "../value/string.ts";
import type { Value } from "../value/value.ts";
import { builtin, type Builtin } from "./registry.ts";

/** Nix 2.8's UsageError raised during evaluation: printed without a position. */
class UsageError extends EvalError {
  override name = "UsageError";

  constructor(message: string) {
    super(message);
    this.pos = 0;
  }
}

/** The hash algorithm a builtin's argument names (hashString, hashFile). */
export function hashAlgoArgument(v: Value): HashAlgo {
  const name = forceStringNoContext(v);
  if (!isHashAlgo(name)) throw new UsageError(`unknown hash algorithm '${name}'`);
  return name;
}

export const hashingBuiltins: Builtin[] = [
  builtin("__hashString", 2, (_state, type, s) => {
    const algo = hashAlgoArgument(type);
    return hashBytes(algo, stringText(forceString(s))).encode("base16");
  }),
];
