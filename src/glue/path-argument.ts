// Path arguments of store builtins (Nix's coerceToPath): a path, or a string that is an
// absolute path, kept with its string context (a store path it came from is a dependency).
import { EvalError } from "../eval/errors.ts";
import { coerceToString } from "../eval/runtime/coerce.ts";
import type { EvalState } from "../eval/state.ts";
import { stringContext, stringText, type StringContext } from "../eval/value/string.ts";
import type { Value } from "../eval/value/value.ts";

export function coercePathArgument(state: EvalState, v: Value): { path: string; context: StringContext } {
  const s = coerceToString(state, v, { coerceMore: false, copyToStore: false });
  const path = stringText(s);
  if (!path.startsWith("/")) throw new EvalError(`string '${path}' doesn't represent an absolute path`);
  return { path, context: stringContext(s) };
}
