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

/** Marks a thunk being forced. */
function blackHole(): never {
  throw new Error("unreachable: a black-holed thunk's code is never run");
}

/** Thunks whose code is running, innermost last, with the code they had. */
const forcing: Thunk[] = [];
const forcingCode: ((env: never) => ForcedValue)[] = [];

export class Thunk {
  /**
   * Two fields only (thunks are the most numerous objects): `code` is the code while
   * suspended, blackHole while running, null once evaluated; `slot` holds the environment
   * until then and the value after.
   */
  private code: ((env: never) => ForcedValue) | null;
  private slot: unknown;

  /** `code(env)` computes the value (and must return it forced). */
  constructor(code: (env: never) => ForcedValue, env: unknown) {
    this.code = code;
    this.slot = env;
  }

  get isEvaluated(): boolean {
    return this.code === null;
  }

  /** `pos`: where the value is needed, for the infinite recursion error. */
  force(pos: Pos = 0): ForcedValue {
    const code = this.code;
    if (code === null) return this.slot as ForcedValue;
    if (code === blackHole) throw new EvalError("infinite recursion encountered", pos);
    this.code = blackHole;
    forcing.push(this);
    forcingCode.push(code);
    const value = (code as (env: unknown) => ForcedValue)(this.slot);
    forcing.pop();
    forcingCode.pop();
    this.code = null;
    this.slot = value;
    return value;
  }

  /** Makes the thunks whose evaluation an exception abandoned (above `height`) runnable again. */
  static restore(height: number): void {
    while (forcing.length > height) (forcing.pop() as Thunk).code = forcingCode.pop() as (env: never) => ForcedValue;
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
