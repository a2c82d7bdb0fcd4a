// hashString: the base-16 digest of a string's bytes (its context is ignored).
import { hashBytes, isHashAlgo } from "../../nix-compat/hash.ts";
import { EvalError } from "../errors.ts";
import { forceString, forceStringNoContext } from "../runtime/force.ts";
import { stringText } from "../value/string.ts";
import { builtin, type Builtin } from "./registry.ts";

export const hashingBuiltins: Builtin[] = [
  builtin("__hashString", 2, (_state, type, s) => {
    const algo = forceStringNoContext(type);
    if (!isHashAlgo(algo)) throw new EvalError(`unknown hash type '${algo}'`);
    return hashBytes(algo, stringText(forceString(s))).encode("base16");
  }),
];
