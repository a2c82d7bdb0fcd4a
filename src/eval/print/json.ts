// JSON output (`nix-instantiate --eval --json`, `builtins.toJSON`) as Nix 2.8's
// printValueAsJSON: sets with `__toString` or `outPath` become that string, paths are copied
// to the store, floats are written like C++ streams (%g), and strings are escaped minimally
// (bytes ≥ 0x80 pass through unchanged). The result carries the context of every string and
// store path it contains.
import { NixTypeError } from "../errors.ts";
import { coerceToString } from "../runtime/coerce.ts";
import type { EvalState } from "../state.ts";
import { NixAttrs } from "../value/attrs.ts";
import { formatFloatG, NixFloat } from "../value/float.ts";
import { NixPath } from "../value/path.ts";
import { ContextString, stringContext, stringText } from "../value/string.ts";
import { force, Thunk } from "../value/thunk.ts";
import { showType, type Value } from "../value/value.ts";

export function quoteJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const c = s[i];
    if (c === '"' || c === "\\") out += `\\${c}`;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (code < 32) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += c;
  }
  return `${out}"`;
}

/**
 * The JSON text of a value, adding string contexts to `context`. With `strict` false, thunks
 * that are not evaluated yet are an error (as in Nix: "cannot convert a thunk to JSON").
 */
export function valueToJson(state: EvalState, v: Value, strict: boolean, context: Set<string>): string {
  if (v instanceof Thunk && !strict && !v.isEvaluated) throw new NixTypeError("cannot convert a thunk to JSON");
  const f = force(v);
  switch (typeof f) {
    case "number":
    case "bigint":
      return f.toString();
    case "boolean":
      return f ? "true" : "false";
    case "string":
      return quoteJsonString(f);
  }
  if (f === null) return "null";
  if (f instanceof ContextString) {
    for (const c of f.context) context.add(c);
    return quoteJsonString(f.s);
  }
  if (f instanceof NixPath) {
    const storePath = state.copyPathToStore(f.path);
    context.add(storePath);
    return quoteJsonString(storePath);
  }
  if (f instanceof NixFloat) return formatFloatG(f.value);
  if (Array.isArray(f)) return `[${f.map((elem) => valueToJson(state, elem, strict, context)).join(",")}]`;
  if (f instanceof NixAttrs) {
    if (f.has("__toString")) {
      const s = coerceToString(state, f, { coerceMore: false, copyToStore: false });
      for (const c of stringContext(s)) context.add(c);
      return quoteJsonString(stringText(s));
    }
    const outPath = f.get("outPath");
    if (outPath !== undefined) return valueToJson(state, outPath, strict, context);
    const members = f.names.map((name, i) => `${quoteJsonString(name)}:${valueToJson(state, f.values[i], strict, context)}`);
    return `{${members.join(",")}}`;
  }
  throw new NixTypeError(`cannot convert ${showType(f)} to JSON`);
}
