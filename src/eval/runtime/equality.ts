// `==` as Nix 2.8 evaluates it (eqValues). Ints and floats compare by numeric value; strings
// by their text (context is ignored); derivations (sets with type = "derivation") by outPath;
// functions are never equal — except that Nix first checks whether both operands are the
// same value cell, so `[ f ] == [ f ]` is true while `f == f` is false. Here a "cell" is a
// container slot: the same Thunk object, or the same value stored directly.
import { EvalError } from "../errors.ts";
import { NixAttrs } from "../value/attrs.ts";
import { NixFloat } from "../value/float.ts";
import { NixPath } from "../value/path.ts";
import { ContextString } from "../value/string.ts";
import { force } from "../value/thunk.ts";
import { type ForcedValue, isFunction, showType, type Value } from "../value/value.ts";

/** `a == b` for two operands of the `==` operator (no same-cell shortcut at the top). */
export function valuesEqual(a: ForcedValue, b: ForcedValue): boolean {
  return forcedEqual(a, b);
}

/** Equality of two value cells (list elements, attribute values, builtin arguments). */
export function cellsEqual(a: Value, b: Value): boolean {
  const fa = force(a);
  const fb = force(b);
  if (a === b) return true;
  return forcedEqual(fa, fb);
}

/** True if `v` is a set with `type = "derivation"` (forces the `type` attribute). */
export function isDerivation(v: ForcedValue): boolean {
  if (!(v instanceof NixAttrs)) return false;
  const type = v.get("type");
  if (type === undefined) return false;
  const t = force(type);
  return t === "derivation" || (t instanceof ContextString && t.s === "derivation");
}

function forcedEqual(a: ForcedValue, b: ForcedValue): boolean {
  if (typeof a === "number" || typeof a === "bigint") {
    if (typeof b === "number" || typeof b === "bigint") return a === b;
    return b instanceof NixFloat && Number(a) === b.value;
  }
  if (a instanceof NixFloat) {
    if (b instanceof NixFloat) return a.value === b.value;
    return (typeof b === "number" || typeof b === "bigint") && a.value === Number(b);
  }
  if (typeof a === "string" || a instanceof ContextString) {
    if (typeof b === "string") return (typeof a === "string" ? a : a.s) === b;
    return b instanceof ContextString && (typeof a === "string" ? a : a.s) === b.s;
  }
  if (typeof a === "boolean" || a === null) return a === b;
  if (a instanceof NixPath) return b instanceof NixPath && a.path === b.path;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!cellsEqual(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof NixAttrs) return b instanceof NixAttrs && attrsEqual(a, b);
  if (isFunction(a)) return false;
  throw new EvalError(`cannot compare ${showType(a)} with ${showType(b)}`);
}

function attrsEqual(a: NixAttrs, b: NixAttrs): boolean {
  if (isDerivation(a) && isDerivation(b)) {
    const outA = a.get("outPath");
    const outB = b.get("outPath");
    if (outA !== undefined && outB !== undefined) return cellsEqual(outA, outB);
  }
  if (a.size !== b.size) return false;
  const namesA = a.names;
  const namesB = b.names;
  for (let i = 0; i < namesA.length; i++) {
    if (namesA[i] !== namesB[i]) return false;
    if (!cellsEqual(a.values[i], b.values[i])) return false;
  }
  return true;
}
