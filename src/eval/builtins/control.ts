// Errors, tracing and evaluation order: throw, abort, tryEval, trace, addErrorContext, seq,
// deepSeq.
import { Abort, EvalError, isCatchable, ThrownError } from "../errors.ts";
import { printValue } from "../print/value.ts";
import { coerceToString, INTERPOLATION } from "../runtime/coerce.ts";
import { forceDeep } from "../runtime/deep-force.ts";
import { NixAttrs } from "../value/attrs.ts";
import { ContextString, stringText } from "../value/string.ts";
import { force, forcingHeight, resetForcing } from "../value/thunk.ts";
import { callDepth, resetCallDepth } from "../runtime/call-stack.ts";
import { builtin, type Builtin } from "./registry.ts";

export const controlBuiltins: Builtin[] = [
  builtin("throw", 1, (state, message) => {
    throw new ThrownError(stringText(coerceToString(state, message, INTERPOLATION)));
  }),
  builtin("abort", 1, (state, message) => {
    const text = stringText(coerceToString(state, message, INTERPOLATION));
    throw new Abort(`evaluation aborted with the following error message: '${text}'`);
  }),
  builtin("__tryEval", 1, (_state, expr) => {
    const calls = callDepth();
    const thunks = forcingHeight();
    try {
      force(expr);
      return NixAttrs.of({ success: true, value: expr });
    } catch (err) {
      if (!isCatchable(err)) throw err;
      // Evaluation goes on: undo what the abandoned evaluation left behind.
      resetCallDepth(calls);
      resetForcing(thunks);
      return NixAttrs.of({ success: false, value: false });
    }
  }),
  builtin("__trace", 2, (state, message, value) => {
    const m = force(message);
    state.log(`trace: ${typeof m === "string" ? m : m instanceof ContextString ? m.s : printValue(m)}`);
    return force(value);
  }),
  builtin("__addErrorContext", 2, (state, context, value) => {
    try {
      return force(value);
    } catch (err) {
      if (err instanceof EvalError) err.addTrace(0, stringText(coerceToString(state, context, INTERPOLATION)));
      throw err;
    }
  }),
  builtin("__seq", 2, (_state, a, b) => {
    force(a);
    return force(b);
  }),
  builtin("__deepSeq", 2, (_state, a, b) => {
    forceDeep(a);
    return force(b);
  }),
];
