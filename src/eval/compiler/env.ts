// Runtime environments and compiled code. The AST is compiled once into JS closures; a
// closure gets the environment of the scope it runs in. An environment is an array: element 0
// is the enclosing environment, the rest are the scope's slots (let bindings, rec attributes,
// a lambda's argument and formals, or for `with` the set it opens). Variables were resolved
// statically to (levels up, slot), so a lookup is a few array loads.
import type { ForcedValue, Value } from "../value/value.ts";

export type Env = unknown[];

/** Code that evaluates an expression to a forced value. */
export type Code = (env: Env) => ForcedValue;

/** Code that yields an expression's value lazily: a constant, a variable's cell, or a new thunk. */
export type LazyCode = (env: Env) => Value;

/** The environment `levels` scopes up. */
export function up(env: Env, levels: number): Env {
  let e = env;
  for (let i = 0; i < levels; i++) e = e[0] as Env;
  return e;
}
