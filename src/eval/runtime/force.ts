// Forcing a value to a required type, with Nix 2.8's error messages. Builtins use these to
// take their arguments apart.
import { NixTypeError, EvalError } from "../errors.ts";
import type { Pos } from "../position.ts";
import { NixAttrs } from "../value/attrs.ts";
import { NixFloat } from "../value/float.ts";
import type { NixFunction } from "../value/function.ts";
import type { NixInt } from "../value/int.ts";
import { ContextString, type NixString } from "../value/string.ts";
import { force } from "../value/thunk.ts";
import { isFunction, type NixList, showType, type Value } from "../value/value.ts";

/** "value is … while … was expected", at `pos` (by default the innermost call's). */
export function typeError(v: Value, expected: string, pos: Pos = 0): NixTypeError {
  return new NixTypeError(`value is ${showType(v)} while ${expected} was expected`, pos);
}

export function forceInt(v: Value): NixInt {
  const f = force(v);
  if (typeof f === "number" || typeof f === "bigint") return f;
  throw typeError(f, "an integer");
}

/** A float or an int, as a JS number (Nix's forceFloat accepts both). */
export function forceFloat(v: Value): number {
  const f = force(v);
  if (f instanceof NixFloat) return f.value;
  if (typeof f === "number") return f;
  if (typeof f === "bigint") return Number(f);
  throw typeError(f, "a float");
}

export function forceBool(v: Value): boolean {
  const f = force(v);
  if (typeof f === "boolean") return f;
  throw typeError(f, "a Boolean");
}

export function forceList(v: Value): NixList {
  const f = force(v);
  if (Array.isArray(f)) return f;
  throw typeError(f, "a list");
}

export function forceAttrs(v: Value): NixAttrs {
  const f = force(v);
  if (f instanceof NixAttrs) return f;
  throw typeError(f, "a set");
}

/** A function, or a set with `__functor` (callable too). */
export function forceFunction(v: Value): NixFunction | NixAttrs {
  const f = force(v);
  if (isFunction(f) || (f instanceof NixAttrs && f.has("__functor"))) return f;
  throw typeError(f, "a function");
}

/** A string value with its context. */
export function forceString(v: Value): NixString {
  const f = force(v);
  if (typeof f === "string" || f instanceof ContextString) return f;
  throw typeError(f, "a string");
}

/** The text of a string that must not refer to store paths (attribute names, file names…). */
export function forceStringNoContext(v: Value): string {
  const f = forceString(v);
  if (typeof f === "string") return f;
  throw new EvalError(`the string '${f.s}' is not allowed to refer to a store path (such as '${[...f.context].sort()[0]}')`);
}
