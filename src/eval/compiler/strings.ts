// String interpolation and `+` (Nix's ExprConcatStrings): the type of the first operand
// decides what `+` does — ints and floats add, a path yields a path (with the rest appended as
// text), anything else yields a string, into which paths are copied to the store.
import { EvalError } from "../errors.ts";
import { enterCall, leaveCall } from "../runtime/call-stack.ts";
import { coerceToString } from "../runtime/coerce.ts";
import type { ConcatStringsExpr } from "../syntax/ast.ts";
import { canonPath } from "../syntax/paths.ts";
import { NixFloat } from "../value/float.ts";
import { intAdd, type NixInt } from "../value/int.ts";
import { NixPath } from "../value/path.ts";
import { makeString, type StringContext } from "../value/string.ts";
import { type ForcedValue, showType } from "../value/value.ts";
import type { Compiler } from "./compiler.ts";
import type { Code, Env } from "./env.ts";
import type { CompileScope } from "./scope.ts";

const STRING_PARTS = { coerceMore: false, copyToStore: true };
const PATH_PARTS = { coerceMore: false, copyToStore: false };

export function compileConcatStrings(compiler: Compiler, e: ConcatStringsExpr, scope: CompileScope): Code {
  const parts = e.parts.map((part) => compiler.compile(part, scope));
  const partPos = e.partPos;
  const pos = e.start;
  const state = compiler.state;
  const forceString = e.forceString;

  function concatStrings(env: Env, first: ForcedValue, copyToStore: boolean): ForcedValue {
    let text = "";
    let context: Set<string> | undefined;
    const options = copyToStore ? STRING_PARTS : PATH_PARTS;
    for (let i = 0; i < parts.length; i++) {
      const v = i === 0 ? first : parts[i](env);
      let part;
      if (typeof v === "string") part = v;
      else {
        // Errors (cannot coerce …) are reported at the part.
        enterCall(partPos[i]);
        part = coerceToString(state, v, options);
        leaveCall();
      }
      if (typeof part === "string") {
        text += part;
      } else {
        text += part.s;
        context ??= new Set();
        for (const c of part.context) context.add(c);
      }
    }
    if (copyToStore) return context ? makeString(text, context as StringContext) : text;
    if (context) throw new EvalError("a string that refers to a store path cannot be appended to a path", pos);
    return new NixPath(canonPath(text));
  }

  function add(env: Env, first: NixInt | NixFloat): ForcedValue {
    let n: NixInt = first instanceof NixFloat ? 0 : first;
    let f = first instanceof NixFloat ? first.value : 0;
    let isFloat = first instanceof NixFloat;
    for (let i = 1; i < parts.length; i++) {
      const v = parts[i](env);
      if (typeof v === "number" || typeof v === "bigint") {
        if (isFloat) f += Number(v);
        else n = intAdd(n, v);
      } else if (v instanceof NixFloat) {
        if (!isFloat) {
          isFloat = true;
          f = Number(n);
        }
        f += v.value;
      } else {
        throw new EvalError(`cannot add ${showType(v)} to ${isFloat ? "a float" : "an integer"}`, partPos[i]);
      }
    }
    return isFloat ? new NixFloat(f) : n;
  }

  return (env) => {
    const first = parts[0](env);
    if (!forceString) {
      if (typeof first === "number" || typeof first === "bigint" || first instanceof NixFloat) return add(env, first);
      if (first instanceof NixPath) return concatStrings(env, first, false);
    }
    return concatStrings(env, first, true);
  };
}
