// String builtins of the core set: toString.
import { coerceToString, TO_STRING } from "../runtime/coerce.ts";
import { builtin, type Builtin } from "./registry.ts";

export const stringBuiltins: Builtin[] = [builtin("toString", 1, (state, v) => coerceToString(state, v, TO_STRING))];
