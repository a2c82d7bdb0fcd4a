// The Nix value model at a glance. A value is one of:
//
//   Nix type  JS representation
//   int       number (a safe integer) or bigint (outside ±2^53), see int.ts
//   float     NixFloat (boxed, so 1.0 stays a float), see float.ts
//   bool      boolean
//   null      null
//   string    string (binary string, no context) or ContextString, see string.ts
//   path      NixPath
//   list      JS array of values (never mutated once built)
//   set       NixAttrs
//   lambda    Lambda | PrimOp | PrimOpApp
//
// and any of them may be hidden in a Thunk until forced. Containers (lists, sets, function
// arguments) hold Values; forcing yields a ForcedValue.
import { NixAttrs } from "./attrs.ts";
import { NixFloat } from "./float.ts";
import { Lambda, type NixFunction, PrimOp, PrimOpApp } from "./function.ts";
import { NixPath } from "./path.ts";
import { ContextString, type NixString } from "./string.ts";
import { Thunk } from "./thunk.ts";
import type { NixInt } from "./int.ts";

export type NixList = readonly Value[];

export type ForcedValue = NixInt | NixFloat | boolean | null | NixString | NixPath | NixList | NixAttrs | NixFunction;

export type Value = ForcedValue | Thunk;

/** `builtins.typeOf`. */
export function typeOf(v: ForcedValue): string {
  switch (typeof v) {
    case "number":
    case "bigint":
      return "int";
    case "boolean":
      return "bool";
    case "string":
      return "string";
  }
  if (v === null) return "null";
  if (v instanceof NixAttrs) return "set";
  if (Array.isArray(v)) return "list";
  if (v instanceof ContextString) return "string";
  if (v instanceof NixPath) return "path";
  if (v instanceof NixFloat) return "float";
  return "lambda";
}

/** How Nix 2.8 names a value's type in error messages ("value is a set while …"). */
export function showType(v: Value): string {
  if (v instanceof Thunk) return v.isEvaluated ? showType(v.force()) : "a thunk";
  if (v instanceof ContextString) return "a string with context";
  if (v instanceof PrimOp) return `the built-in function '${v.name}'`;
  if (v instanceof PrimOpApp) return `the partially applied built-in function '${v.primop.name}'`;
  switch (typeOf(v)) {
    case "int":
      return "an integer";
    case "bool":
      return "a Boolean";
    case "string":
      return "a string";
    case "path":
      return "a path";
    case "null":
      return "null";
    case "set":
      return "a set";
    case "list":
      return "a list";
    case "float":
      return "a float";
    default:
      return "a function";
  }
}

export function isList(v: ForcedValue): v is NixList {
  return Array.isArray(v);
}

export function isString(v: ForcedValue): v is NixString {
  return typeof v === "string" || v instanceof ContextString;
}

export function isFunction(v: ForcedValue): v is NixFunction {
  return v instanceof Lambda || v instanceof PrimOp || v instanceof PrimOpApp;
}
