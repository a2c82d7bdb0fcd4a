// Function values: lambdas (closures of the interpreter), primops (builtins) and primops
// applied to fewer arguments than they take (Nix 2.8 prints those as <PRIMOP-APP>).
import type { Pos } from "../position.ts";
import type { EvalState } from "../state.ts";
import type { ForcedValue, Value } from "./value.ts";

/** One `name` or `name ? default` of a `{ … }:` pattern. */
export interface Formal {
  readonly name: string;
  readonly hasDefault: boolean;
  readonly pos: Pos;
}

/** What the interpreter compiled a `x: …` or `{ … }: …` expression into. */
export interface LambdaDef {
  /** The attribute or let-binding name it was defined under, for traces; null if anonymous. */
  readonly name: string | null;
  readonly pos: Pos;
  /** `x` in `x: …` or in `{ … } @ x`; null when there is none. */
  readonly arg: string | null;
  /** The pattern's names in source order; null for a plain `x: …` lambda. */
  readonly formals: readonly Formal[] | null;
  readonly ellipsis: boolean;
  /** Runs the body with `arg` bound, in the closure's environment. */
  apply(env: unknown, arg: Value): ForcedValue;
}

export class Lambda {
  readonly def: LambdaDef;
  readonly env: unknown;

  constructor(def: LambdaDef, env: unknown) {
    this.def = def;
    this.env = env;
  }
}

/**
 * A builtin's implementation. It receives its arguments unforced (force what you need with
 * `force`), and must return a forced value.
 */
export type PrimOpImpl = (state: EvalState, ...args: Value[]) => ForcedValue;

export class PrimOp {
  /** The name without a leading "__", as Nix shows it ("the built-in function 'typeOf'"). */
  readonly name: string;
  readonly arity: number;
  readonly impl: PrimOpImpl;
  readonly state: EvalState;

  constructor(name: string, arity: number, impl: PrimOpImpl, state: EvalState) {
    this.name = name;
    this.arity = arity;
    this.impl = impl;
    this.state = state;
  }
}

/** A primop applied to some but not all of its arguments. */
export class PrimOpApp {
  readonly primop: PrimOp;
  readonly args: readonly Value[];

  constructor(primop: PrimOp, args: readonly Value[]) {
    this.primop = primop;
    this.args = args;
  }
}

export type NixFunction = Lambda | PrimOp | PrimOpApp;
