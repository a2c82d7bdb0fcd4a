// JSON output (`nix-instantiate --eval --json`, `builtins.toJSON`) as Nix 2.8's
// printValueAsJSON: sets with `__toString` or `outPath` become that string, paths are copied
// to the store, floats are written like C++ streams (%g), and strings are escaped minimally
// (bytes ≥ 0x80 pass through unchanged). The result carries the context of every string and
// store path it contains.
import { NixTypeError } from "../errors.ts";
import type { Pos } from "../position.ts";
import { currentCallPos } from "../runtime/call-stack.ts";
import { coerceToString } from "../runtime/coerce.ts";
import type { EvalState } from "../state.ts";
import { NixAttrs } from "../value/attrs.ts";
import { formatFloatG, NixFloat } from "../value/float.ts";
import { Lambda } from "../value/function.ts";
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

/** Nix's error for a value JSON cannot hold, at `errorPos`, with its (unhelpful) trace frame at `pos`. */
function unconvertible(what: string, errorPos: Pos, pos: Pos): NixTypeError {
  const err = new NixTypeError(`cannot convert ${what} to JSON`, errorPos);
  err.addTrace(pos, "message for the trace");
  return err;
}

/**
 * The JSON text of a value, adding string contexts to `context`. With `strict` false, thunks
 * that are not evaluated yet are an error (as in Nix: "cannot convert a thunk to JSON").
 */
export function valueToJson(state: EvalState, v: Value, strict: boolean, context: Set<string>): string {
  const writer = new JsonWriter(state, strict, context);
  writer.write(v, currentCallPos());
  return writer.out;
}

/**
 * Writes JSON as Nix streams it. When an error interrupts it, `partial()` is what Nix has
 * written by then: its JSON writer closes the open lists and objects as the error unwinds
 * (`{"a":[1,]}`), which `nix-instantiate --eval --json` shows.
 */
export class JsonWriter {
  /** Appended to, never re-read, so JS keeps it as a cheap rope until the end. */
  out = "";
  /** The closing brackets of the lists and objects being written, innermost last. */
  private readonly open: string[] = [];
  private readonly state: EvalState;
  private readonly strict: boolean;
  private readonly context: Set<string>;

  constructor(state: EvalState, strict: boolean, context: Set<string>) {
    this.state = state;
    this.strict = strict;
    this.context = context;
  }

  /**
   * Writes `v`; `pos` is where it comes from (its attribute, else the call or nothing), which
   * Nix reports for what cannot be converted (for a function: its own position).
   */
  write(v: Value, pos: Pos = 0): void {
    if (v instanceof Thunk && !this.strict && !v.isEvaluated) throw unconvertible("a thunk", pos, pos);
    const f = force(v);
    switch (typeof f) {
      case "number":
      case "bigint":
        this.out += f.toString();
        return;
      case "boolean":
        this.out += f ? "true" : "false";
        return;
      case "string":
        this.out += quoteJsonString(f);
        return;
    }
    if (f === null) this.out += "null";
    else if (f instanceof ContextString) {
      for (const c of f.context) this.context.add(c);
      this.out += quoteJsonString(f.s);
    } else if (f instanceof NixPath) {
      const storePath = this.state.copyPathToStore(f.path);
      this.context.add(storePath);
      this.out += quoteJsonString(storePath);
    } else if (f instanceof NixFloat) this.out += formatFloatG(f.value);
    else if (Array.isArray(f)) {
      this.out += "[";
      this.open.push("]");
      f.forEach((elem, i) => {
        if (i > 0) this.out += ",";
        this.write(elem, pos);
      });
      this.out += this.open.pop();
    } else if (f instanceof NixAttrs) this.writeAttrs(f);
    else throw unconvertible(showType(f), f instanceof Lambda ? f.def.pos : pos, pos);
  }

  private writeAttrs(attrs: NixAttrs): void {
    if (attrs.has("__toString")) {
      const s = coerceToString(this.state, attrs, { coerceMore: false, copyToStore: false });
      for (const c of stringContext(s)) this.context.add(c);
      this.out += quoteJsonString(stringText(s));
      return;
    }
    const outPath = attrs.shape.indexOf("outPath");
    if (outPath >= 0) {
      this.write(attrs.values[outPath], attrs.posAt(outPath));
      return;
    }
    this.out += "{";
    this.open.push("}");
    attrs.names.forEach((name, i) => {
      if (i > 0) this.out += ",";
      this.out += `${quoteJsonString(name)}:`;
      this.write(attrs.values[i], attrs.posAt(i));
    });
    this.out += this.open.pop();
  }

  /** The output so far with the open lists and objects closed. */
  partial(): string {
    return this.out + this.open.slice().reverse().join("");
  }
}
