// The process environment: getEnv.
import { forceStringNoContext } from "../runtime/force.ts";
import { builtin, type Builtin } from "./registry.ts";

export const environmentBuiltins: Builtin[] = [builtin("__getEnv", 1, (state, name) => state.getEnv(forceStringNoContext(name)))];
