// Lazy values. A thunk is code plus the environment to run it in; forcing runs it once and
// keeps the result. While it runs the thunk is "black-holed", so forcing it again from within
// (a value that depends on itself) raises Nix's "infinite recursion encountered" instead of
// looping. If the code throws, the thunk must become runnable again (a later force, after
// tryEval, runs it again, as in Nix); rather than a try/catch in every force (re-throwing is
// slow, see runtime/call-stack.ts), thunks being forced are kept on a stack, and whoever
// catches an error to carry on calls `resetForcing` to restore the ones the error abandoned.
import { EvalError } from "../errors.ts";
import type { Pos } from "../position.ts";
import type { ForcedValue, Value } from "./value.ts";

const SUSPENDED = 0;
const BLACK_HOLE = 1;
const EVALUATED = 2;

/** Thunks whose code is running, innermost last. */
const forcing: Thunk[] = [];

export class Thunk {
  private state: number = SUSPENDED;
  private code: ((env: never) => ForcedValue) | null;
  private env: unknown;
  private result: ForcedValue | undefined = undefined;

  /** `code(env)` computes the value (and must return it forced). */
  constructor(code: (env: never) => ForcedValue, env: unknown) {
    this.code = code;
    this.env = env;
  }

  get isEvaluated(): boolean {
    return this.state === EVALUATED;
  }

  /** `pos`: where the value is needed, for the infinite recursion error. */
  force(pos: Pos = 0): ForcedValue {
    if (this.state === EVALUATED) return this.result as ForcedValue;
    if (this.state === BLACK_HOLE) throw new EvalError("infinite recursion encountered", pos);
    this.state = BLACK_HOLE;
    forcing.push(this);
    const value = (this.code as (env: unknown) => ForcedValue)(this.env);
    forcing.pop();
    this.state = EVALUATED;
    this.result = value;
    this.code = null;
    this.env = null;
    return value;
  }

  /** Makes the thunks whose evaluation an exception abandoned (above `height`) runnable again. */
  static restore(height: number): void {
    while (forcing.length > height) (forcing.pop() as Thunk).state = SUSPENDED;
  }
}

/** How many thunks are being forced; save it before code whose exceptions you catch. */
export function forcingHeight(): number {
  return forcing.length;
}

/** After catching an exception: thunks it abandoned (above `height`) can be forced again. */
export function resetForcing(height: number): void {
  Thunk.restore(height);
}

/** Forces a value: evaluates it if it is a thunk. `pos`: where the value is needed. */
export function force(v: Value, pos: Pos = 0): ForcedValue {
  return v instanceof Thunk ? v.force(pos) : v;
}
