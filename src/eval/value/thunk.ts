// Lazy values. A thunk is code plus the environment to run it in; forcing runs it once and
// keeps the result. While it runs the thunk is "black-holed", so forcing it again from within
// (a value that depends on itself) raises Nix's "infinite recursion encountered" instead of
// looping. If the code throws, the thunk is restored, so a later force (after tryEval) runs
// it again, as in Nix.
import { EvalError } from "../errors.ts";
import type { ForcedValue, Value } from "./value.ts";

/** Compiled code of a thunk; gets the thunk's environment, returns a forced value. */
export type ThunkCode = (env: never) => ForcedValue;

function blackHole(): never {
  throw new EvalError("infinite recursion encountered");
}

export class Thunk {
  /** null once evaluated; blackHole while being evaluated. */
  private code: ThunkCode | null;
  private env: unknown;
  private result: ForcedValue | undefined = undefined;

  constructor(code: (env: never) => ForcedValue, env: unknown) {
    this.code = code as ThunkCode;
    this.env = env;
  }

  /** A thunk that is already evaluated (rarely needed: store the value itself instead). */
  static evaluated(value: ForcedValue): Thunk {
    const t = new Thunk(blackHole, null);
    t.code = null;
    t.result = value;
    return t;
  }

  get isEvaluated(): boolean {
    return this.code === null;
  }

  /** The value if evaluated, else undefined (for printing without forcing). */
  get peek(): ForcedValue | undefined {
    return this.result;
  }

  force(): ForcedValue {
    const code = this.code;
    if (code === null) return this.result as ForcedValue;
    this.code = blackHole;
    try {
      const value = (code as (env: unknown) => ForcedValue)(this.env);
      this.result = value;
      this.code = null;
      this.env = null;
      return value;
    } catch (err) {
      this.code = code;
      throw err;
    }
  }
}

/** Forces a value: evaluates it if it is a thunk. */
export function force(v: Value): ForcedValue {
  return v instanceof Thunk ? v.force() : v;
}
