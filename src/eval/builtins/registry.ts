// How builtins are declared. Each group of builtins is one file exporting a `Builtin[]`; the
// list of groups is in index.ts, and glue code can pass more (derivation, fetchers…) when it
// creates the global scope. Names are Nix's: a leading "__" means "only as builtins.NAME"
// (`__typeOf` is `builtins.typeOf`), otherwise the builtin is also a global (`map`, `throw`).
import type { EvalState } from "../state.ts";
import type { PrimOpImpl } from "../value/function.ts";
import type { Value } from "../value/value.ts";

/**
 * A function of `arity` arguments. The implementation gets the EvalState and the arguments
 * unforced, and returns a forced value; errors it throws get the call site's position.
 */
export interface BuiltinFunction {
  readonly name: string;
  readonly arity: number;
  readonly impl: PrimOpImpl;
}

/** A constant (`true`, `builtins.currentSystem`…), computed on first use. */
export interface BuiltinConstant {
  readonly name: string;
  readonly constant: (state: EvalState) => Value;
}

export type Builtin = BuiltinFunction | BuiltinConstant;

/** Shorthand for declaring a builtin function. */
export function builtin(name: string, arity: number, impl: PrimOpImpl): BuiltinFunction {
  return { name, arity, impl };
}
