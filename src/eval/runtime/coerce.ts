// Turning values into strings where Nix does it implicitly: string interpolation ("${x}"),
// `toString`, and builtins that take "something string-like". Mirrors coerceToString in Nix
// 2.8's eval.cc, including its quirks (`toString [ [] 1 ]` has no space after the empty list).
import { NixTypeError } from "../errors.ts";
import type { EvalState } from "../state.ts";
import { NixAttrs } from "../value/attrs.ts";
import { formatFloatFixed, NixFloat } from "../value/float.ts";
import { NixPath } from "../value/path.ts";
import { ContextString, makeString, type NixString, stringContext, stringText, type StringContext, unionContext } from "../value/string.ts";
import { force } from "../value/thunk.ts";
import { showType, type Value } from "../value/value.ts";
import { call } from "./call.ts";

export interface CoerceOptions {
  /** Also accept booleans, null, numbers and lists (`toString`); interpolation does not. */
  coerceMore: boolean;
  /** Copy path values to the store and yield the store path (interpolation does). */
  copyToStore: boolean;
}

export const INTERPOLATION: CoerceOptions = { coerceMore: false, copyToStore: true };
export const TO_STRING: CoerceOptions = { coerceMore: true, copyToStore: false };

export function coerceToString(state: EvalState, v: Value, options: CoerceOptions): NixString {
  const f = force(v);
  if (typeof f === "string" || f instanceof ContextString) return f;
  if (f instanceof NixPath) {
    if (!options.copyToStore) return f.path;
    const storePath = state.copyPathToStore(f.path);
    return new ContextString(storePath, new Set([storePath]));
  }
  if (f instanceof NixAttrs) {
    const toString = f.get("__toString");
    if (toString !== undefined) return coerceToString(state, call(toString, f), options);
    const outPath = f.get("outPath");
    if (outPath === undefined) throw new NixTypeError("cannot coerce a set to a string");
    return coerceToString(state, outPath, options);
  }
  if (options.coerceMore) {
    if (f === true) return "1";
    if (f === false || f === null) return "";
    if (typeof f === "number" || typeof f === "bigint") return f.toString();
    if (f instanceof NixFloat) return formatFloatFixed(f.value);
    if (Array.isArray(f)) {
      let text = "";
      let context: StringContext = new Set();
      for (let n = 0; n < f.length; n++) {
        const part = coerceToString(state, f[n], options);
        text += stringText(part);
        context = unionContext(context, stringContext(part));
        const elem = force(f[n]);
        if (n < f.length - 1 && !(Array.isArray(elem) && elem.length === 0)) text += " ";
      }
      return makeString(text, context);
    }
  }
  throw new NixTypeError(`cannot coerce ${showType(f)} to a string`);
}
