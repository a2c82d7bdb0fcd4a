// How Nix 2.8's repl prints a value (NixRepl::printValue), which is not nix-instantiate's
// printer: it forces what it prints, down to `maxDepth` levels (1 for a plain expression, all
// of them for `:p`), shows deeper sets and lists as `{ ... }` / `[ ... ]`, derivations as
// «derivation /nix/store/…drv», functions as «lambda @ file:line:col» / «primop» /
// «primop-app», and a failing `throw` or `assert` inside a container as «error: …» in place
// (any other error ends the printing). Strings are quoted without escaping `${`.
import { parseStorePath } from "../../nix-compat/store-path.ts";
import { formatEvalError } from "../error-report.ts";
import { AssertionError, EvalError } from "../errors.ts";
import { showPos } from "../position.ts";
import { quoteString } from "../print/value.ts";
import { callDepth, resetCallDepth } from "../runtime/call-stack.ts";
import { coerceToString } from "../runtime/coerce.ts";
import { isDerivation } from "../runtime/equality.ts";
import type { EvalState } from "../state.ts";
import { NixAttrs } from "../value/attrs.ts";
import { formatFloatG, NixFloat } from "../value/float.ts";
import { Lambda, PrimOp } from "../value/function.ts";
import { NixPath } from "../value/path.ts";
import { ContextString, stringText } from "../value/string.ts";
import { force, forcingHeight, resetForcing } from "../value/thunk.ts";
import type { Value } from "../value/value.ts";

/** The UTF-8 bytes of the guillemets, as output strings are binary strings. */
const OPEN = "\u00c2\u00ab";
const CLOSE = "\u00c2\u00bb";

/** Nix's ANSI codes (ansicolor.hh); the repl colours values, and nothing when colours are off. */
const NORMAL = "\x1b[0m";
const BOLD = "\x1b[1m";
const RED = "\x1b[31;1m";
const GREEN = "\x1b[32;1m";
const MAGENTA = "\x1b[35;1m";
const BLUE = "\x1b[34;1m";
const CYAN = "\x1b[36;1m";

/** The repl's own test for a bare attribute name (no keyword check, unlike showIdentifier). */
const VAR_NAME = /^[a-zA-Z_][a-zA-Z0-9_'-]*$/;

/** The drvPath of a derivation as a store path (coerceToStorePath: no copying, no coercing more). */
const AS_STORE_PATH = { coerceMore: false, copyToStore: false };

export interface ReplPrintOptions {
  /** Levels of sets and lists shown; deeper ones are `{ ... }` / `[ ... ]`. */
  maxDepth: number;
  colors: boolean;
  showTrace: boolean;
}

/**
 * Prints one value into `out` (a binary string). When an error escapes, `out` keeps what was
 * printed before it, which the repl shows before the error, as Nix does.
 */
export class ReplPrinter {
  out = "";
  private readonly state: EvalState;
  private readonly options: ReplPrintOptions;
  /** Cells of the sets and lists printed so far: met again, they are «repeated». */
  private readonly seen = new Set<unknown>();
  /** The evaluator's stacks before printing, restored after an error printed in place. */
  private readonly calls = callDepth();
  private readonly thunks = forcingHeight();

  constructor(state: EvalState, options: ReplPrintOptions) {
    this.state = state;
    this.options = options;
  }

  print(v: Value): void {
    // The top-level value is a copy in Nix, so it never counts as met before.
    this.printCell(v, {}, this.options.maxDepth);
  }

  private color(code: string, text: string): string {
    return this.options.colors ? `${code}${text}${NORMAL}` : text;
  }

  private printCell(v: Value, cell: unknown, depth: number): void {
    const f = force(v);
    switch (typeof f) {
      case "number":
      case "bigint":
        this.out += this.color(CYAN, f.toString());
        return;
      case "boolean":
        this.out += this.color(CYAN, f ? "true" : "false");
        return;
      case "string":
        this.out += this.color(MAGENTA, quoteString(f, false));
        return;
    }
    if (f === null) this.out += this.color(CYAN, "null");
    else if (f instanceof ContextString) this.out += this.color(MAGENTA, quoteString(f.s, false));
    else if (f instanceof NixPath) this.out += this.color(GREEN, f.path);
    else if (f instanceof NixFloat) this.out += formatFloatG(f.value);
    else if (f instanceof NixAttrs) this.printAttrs(f, cell, depth);
    else if (Array.isArray(f)) this.printList(f, cell, depth);
    else if (f instanceof Lambda) this.out += this.color(BLUE, `${OPEN}lambda @ ${this.position(f.def.pos)}${CLOSE}`);
    else if (f instanceof PrimOp) this.out += this.color(MAGENTA, `${OPEN}primop${CLOSE}`);
    else this.out += this.color(BLUE, `${OPEN}primop-app${CLOSE}`);
  }

  /** `file:line:col`, the file in bold as Nix writes positions. */
  private position(pos: number): string {
    const text = showPos(pos);
    return this.options.colors ? text.replace(/^(.*)(:\d+:\d+)$/, `${BOLD}$1${NORMAL}$2`) : text;
  }

  private printAttrs(attrs: NixAttrs, cell: unknown, depth: number): void {
    this.seen.add(cell);
    if (isDerivation(attrs)) {
      const drvPath = attrs.get("drvPath");
      this.out += `${OPEN}derivation ${drvPath === undefined ? "???" : this.storePath(drvPath)}${CLOSE}`;
    } else if (depth > 0) {
      this.out += "{ ";
      attrs.names.forEach((name, i) => {
        this.out += `${VAR_NAME.test(name) ? name : quoteString(name, false)} = `;
        this.printElement(attrs.values[i], depth - 1);
        this.out += "; ";
      });
      this.out += "}";
    } else {
      this.out += "{ ... }";
    }
  }

  private printList(list: readonly Value[], cell: unknown, depth: number): void {
    this.seen.add(cell);
    this.out += "[ ";
    if (depth > 0) {
      for (const elem of list) {
        this.printElement(elem, depth - 1);
        this.out += " ";
      }
    } else {
      this.out += "... ";
    }
    this.out += "]";
  }

  /** A value inside a set or list; its cell is the value as the container holds it. */
  private printElement(v: Value, depth: number): void {
    if (this.seen.has(v)) {
      this.out += `${OPEN}repeated${CLOSE}`;
      return;
    }
    try {
      this.printCell(v, v, depth);
    } catch (err) {
      if (!(err instanceof AssertionError)) throw err;
      resetCallDepth(this.calls);
      resetForcing(this.thunks);
      const message = formatEvalError(err, this.options.showTrace).replace(/\n$/, "");
      this.out += this.color(RED, `${OPEN}error: ${message}${CLOSE}`);
    }
  }

  private storePath(v: Value): string {
    const path = stringText(coerceToString(this.state, v, AS_STORE_PATH));
    try {
      parseStorePath(path, this.state.io.storeDir);
    } catch {
      throw new EvalError(`path '${path}' is not in the Nix store`);
    }
    return path;
  }
}
