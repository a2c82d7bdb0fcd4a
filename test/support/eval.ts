// Evaluating Nix text in unit tests: the printed value (`nix-instantiate --eval --strict`
// style) or the message of the evaluation error an expression raises.
import { EvalError } from "../../src/eval/errors.ts";
import { LocalIO } from "../../src/eval/local-io.ts";
import { printValue } from "../../src/eval/print/value.ts";
import { forceDeep } from "../../src/eval/runtime/deep-force.ts";
import { EvalState } from "../../src/eval/state.ts";

/** The message of the EvalError `fn` throws, or "no error". */
export function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof EvalError) return err.message;
    throw err;
  }
  return "no error";
}

/** A pure evaluator (no store builtins); `prelude` is put before every expression. */
export function testEvaluator(prelude = ""): { ev: (expr: string) => string; error: (expr: string) => string } {
  const state = new EvalState({ io: new LocalIO() });
  const ev = (expr: string) => {
    const v = state.evalText(`${prelude} ${expr}`, "/");
    forceDeep(v);
    return printValue(v);
  };
  return { ev, error: (expr) => thrownMessage(() => ev(expr)) };
}
