// The plain output of `nix-instantiate --eval` (Nix 2.8's Value::print): values in Nix
// syntax on one line. Printing never forces anything: a thunk that has not been evaluated
// prints as <CODE> (so without --strict nested values often do), and a non-empty set or list
// met a second time prints as «repeated».
import { NixAttrs } from "../value/attrs.ts";
import { formatFloatG, NixFloat } from "../value/float.ts";
import { Lambda, PrimOp } from "../value/function.ts";
import { NixPath } from "../value/path.ts";
import { ContextString } from "../value/string.ts";
import { Thunk } from "../value/thunk.ts";
import type { ForcedValue, Value } from "../value/value.ts";
import { showIdentifier } from "./identifier.ts";

/** «repeated» as the UTF-8 bytes Nix writes (output strings are binary strings). */
const REPEATED = "\u00c2\u00abrepeated\u00c2\u00bb";

/**
 * A string literal as the printer writes it: only `${` is escaped of the dollars, and not even
 * that with `escapeInterpolation` false (the repl's printer).
 */
export function quoteString(s: string, escapeInterpolation = true): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "\\") out += `\\${c}`;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (escapeInterpolation && c === "$" && s[i + 1] === "{") out += "\\$";
    else out += c;
  }
  return `${out}"`;
}

/** Prints a value (a binary string, without a trailing newline). */
export function printValue(v: Value): string {
  const printer = new Printer();
  // The top-level value is a copy in Nix, so a short list there never counts as seen before.
  printer.print(v, {});
  return printer.out;
}

class Printer {
  out = "";
  private readonly seen = new Set<unknown>();

  /**
   * `cell` identifies where the value is stored. Nix keys «repeated» on a set's bindings and
   * on a list's element array, but lists of up to two elements keep their elements inside the
   * value cell itself, so for those the cell (thunk) is the identity.
   */
  print(v: Value, cell: unknown): void {
    let f: ForcedValue;
    if (v instanceof Thunk) {
      if (!v.isEvaluated) {
        this.out += "<CODE>";
        return;
      }
      f = v.force();
    } else {
      f = v;
    }
    switch (typeof f) {
      case "number":
      case "bigint":
        this.out += f.toString();
        return;
      case "boolean":
        this.out += f ? "true" : "false";
        return;
      case "string":
        this.out += quoteString(f);
        return;
    }
    if (f === null) this.out += "null";
    else if (f instanceof NixAttrs) this.printAttrs(f);
    else if (Array.isArray(f)) this.printList(f, f.length <= 2 ? cell : f);
    else if (f instanceof ContextString) this.out += quoteString(f.s);
    else if (f instanceof NixPath) this.out += f.path;
    else if (f instanceof NixFloat) this.out += formatFloatG(f.value);
    else if (f instanceof Lambda) this.out += "<LAMBDA>";
    else if (f instanceof PrimOp) this.out += "<PRIMOP>";
    else this.out += "<PRIMOP-APP>";
  }

  /** Writes «repeated» if a non-empty container was printed already, else remembers it. */
  private repeated(key: unknown, size: number): boolean {
    if (size === 0) return false;
    if (this.seen.has(key)) {
      this.out += REPEATED;
      return true;
    }
    this.seen.add(key);
    return false;
  }

  private printAttrs(attrs: NixAttrs): void {
    if (this.repeated(attrs, attrs.size)) return;
    this.out += "{ ";
    attrs.names.forEach((name, i) => {
      const value = attrs.values[i];
      this.out += `${showIdentifier(name)} = `;
      this.print(value, value);
      this.out += "; ";
    });
    this.out += "}";
  }

  private printList(list: readonly Value[], key: unknown): void {
    if (this.repeated(key, list.length)) return;
    this.out += "[ ";
    for (const elem of list) {
      this.print(elem, elem);
      this.out += " ";
    }
    this.out += "]";
  }
}
