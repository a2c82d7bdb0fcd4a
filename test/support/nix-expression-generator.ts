// Random Nix expressions for differential tests of the parser: every construct of the Nix 2.8
// grammar, operators mixed without parentheses (so precedence matters), strings, indented
// strings and paths with interpolation, comments and odd whitespace between tokens. A
// mutation (a token dropped, repeated, swapped or inserted) makes subtly broken variants.
import type { SeededRandom } from "./seeded-random.ts";

/** A token; `glued` ones are written right after the previous token, without whitespace. */
interface Piece {
  text: string;
  glued?: boolean;
}

const BINARY_OPERATORS = ["+", "-", "*", "/", "++", "//", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "->"];
const NON_ASSOCIATIVE = [
  ["==", "!="],
  ["<", "<=", ">", ">="],
];
const ATTR_NAMES = ["a", "b", "x", "y", "or", "foo-bar", "z'", '"s p"', '""', '"if"', "__x"];
const SEPARATORS = [" ", " ", " ", "  ", "\n", "\t", "\r\n", " /* c */ ", " # c\n", "\n  "];
const MUTATION_TOKENS = [";", "}", "{", ")", "(", "]", "=", ":", ".", ",", "?", "@", "...", "then", "in", "or", "//", "==", "<", "$", "'", "''", '"', "${", "let", "inherit", "rec", "-", "!", "a"];
/** The generated expression's free variables, bound by its enclosing `a: b: c:`. */
const TOP_NAMES = ["a", "b", "c"];

export class ExpressionGenerator {
  private readonly random: SeededRandom;
  /** Some expressions use one unbound variable (one at most, so that Nix's error is well-defined). */
  private unboundLeft = false;

  constructor(random: SeededRandom) {
    this.random = random;
  }

  /** A syntactically valid expression (semantic errors, such as a duplicate attribute, may occur). */
  valid(): string {
    return this.join(this.program());
  }

  /** A valid expression with one token mutation; usually, not always, broken. */
  mutated(): string {
    const pieces = this.program();
    const r = this.random;
    const i = r.int(0, pieces.length - 1);
    switch (r.int(0, 3)) {
      case 0:
        pieces.splice(i, 1);
        break;
      case 1:
        pieces.splice(i, 0, { ...pieces[i] });
        break;
      case 2:
        if (i + 1 < pieces.length) [pieces[i], pieces[i + 1]] = [pieces[i + 1], pieces[i]];
        break;
      default:
        pieces.splice(i, 0, { text: r.pick(MUTATION_TOKENS) });
    }
    return this.join(pieces);
  }

  /** `a: b: c: let or = …; in EXPR`: free variables, and `or`, which nixpkgs once used as a function name. */
  private program(): Piece[] {
    this.unboundLeft = this.random.next() < 0.1;
    const lambdas = TOP_NAMES.flatMap((name) => [{ text: name }, { text: ":", glued: true }]);
    return [...lambdas, ...this.p("let", "or", "=", "null", ";", "in"), ...this.expr(4, [...TOP_NAMES])];
  }

  private join(pieces: Piece[]): string {
    return pieces.map((p, i) => (i === 0 || p.glued ? p.text : this.random.pick(SEPARATORS) + p.text)).join("");
  }

  private p(...texts: string[]): Piece[] {
    return texts.map((text) => ({ text }));
  }

  /**
   * expr: lambdas, let, with, assert, if, or an operator expression. Nix's --parse output shows
   * `assert` without parentheses, which is not valid Nix where an operand stands, so
   * parenthesised and interpolated expressions (`operand`) have no `assert` at their top.
   */
  private expr(depth: number, scope: string[], operand = false): Piece[] {
    const r = this.random;
    if (depth <= 0) return this.operators(0, scope);
    let kind = r.int(0, 11);
    if (operand && kind === 4) kind = 5;
    switch (kind) {
      case 0: {
        const name = r.pick(["x", "y", "arg"]);
        return [...this.p(name), { text: ":", glued: r.next() < 0.5 }, ...this.expr(depth - 1, [...scope, name])];
      }
      case 1:
        return this.patternLambda(depth, scope);
      case 2: {
        const names: string[] = [];
        const bindings = this.bindings(depth - 1, scope, names, false);
        return [...this.p("let"), ...bindings, ...this.p("in"), ...this.expr(depth - 1, [...scope, ...names])];
      }
      case 3:
        return [...this.p("with"), ...this.expr(depth - 1, scope), ...this.p(";"), ...this.expr(depth - 1, [...scope, "zz"])];
      case 4:
        return [...this.p("assert"), ...this.expr(depth - 1, scope), ...this.p(";"), ...this.expr(depth - 1, scope)];
      case 5:
        return [...this.p("if"), ...this.expr(depth - 1, scope), ...this.p("then"), ...this.expr(depth - 1, scope), ...this.p("else"), ...this.expr(depth - 1, scope)];
      default:
        return this.operators(depth - 1, scope);
    }
  }

  private patternLambda(depth: number, scope: string[]): Piece[] {
    const r = this.random;
    const names = r.shuffle(["p", "q", "s", "t"]).slice(0, r.int(0, 3));
    if (r.next() < 0.01 && names.length > 0) names.push(names[0]); // a duplicate formal
    const inner = [...scope, ...names];
    const formals: Piece[] = [];
    names.forEach((name, i) => {
      if (i > 0) formals.push(...this.p(","));
      formals.push(...this.p(name));
      if (r.next() < 0.3) formals.push(...this.p("?"), ...this.expr(depth - 2, inner));
    });
    if (r.next() < 0.3) formals.push(...this.p(...(names.length > 0 ? [",", "..."] : ["..."])));
    else if (names.length > 0 && r.next() < 0.1) formals.push(...this.p(","));
    const set = [...this.p("{"), ...formals, ...this.p("}")];
    const at = r.int(0, 2);
    const arg = r.next() < 0.01 ? r.pick(["p", "q"]) : "args"; // rarely the name of a formal
    const head = at === 0 ? set : at === 1 ? [...set, ...this.p("@", arg)] : [...this.p(arg, "@"), ...set];
    return [...head, ...this.p(":"), ...this.expr(depth - 1, at === 0 ? inner : [...inner, arg])];
  }

  /**
   * Operators and operands in a row, with prefix `!`/`-` and `? path` sprinkled in; at most one
   * of each non-associative kind (`==` `!=`, `<` `<=` `>` `>=`), which may not be chained.
   */
  private operators(depth: number, scope: string[]): Piece[] {
    const r = this.random;
    const out: Piece[] = [];
    const count = r.int(1, depth > 0 ? 4 : 2);
    const used = new Set<string>();
    for (let i = 0; i < count; i++) {
      if (i > 0) {
        let op = r.pick(BINARY_OPERATORS);
        const kind = NON_ASSOCIATIVE.find((ops) => ops.includes(op));
        if (kind && used.has(kind[0])) op = "+";
        else if (kind) used.add(kind[0]);
        out.push(...this.p(op));
      }
      if (r.next() < 0.15) out.push(...this.p(r.pick(["!", "-"])));
      out.push(...this.application(depth, scope));
      if (r.next() < 0.1) out.push(...this.p("?"), ...this.attrPath(depth, scope));
    }
    return out;
  }

  private application(depth: number, scope: string[]): Piece[] {
    const r = this.random;
    const out = this.select(depth, scope);
    if (r.next() < 0.25) for (let i = r.int(1, 3); i > 0; i--) out.push(...this.select(depth - 1, scope));
    return out;
  }

  private select(depth: number, scope: string[]): Piece[] {
    const r = this.random;
    const out = this.simple(depth, scope);
    const roll = r.next();
    if (roll < 0.2) {
      out.push(...this.p("."), ...this.attrPath(depth, scope));
      if (r.next() < 0.4) out.push(...this.p("or"), ...this.select(depth - 1, scope));
    } else if (roll < 0.22) {
      out.push(...this.p("or")); // `f or`, a call of the function named `or`
    }
    return out;
  }

  private simple(depth: number, scope: string[]): Piece[] {
    const r = this.random;
    const kind = depth <= 0 ? r.int(0, 4) : r.int(0, 12);
    switch (kind) {
      case 0:
        return this.p(this.variable(scope));
      case 1:
        return this.p(r.pick(["0", "1", "42", "007", "9223372036854775807", "1.5", ".5", "1.", "2.5e3", "1.0E-2", "0.25"]));
      case 2:
        return this.string(depth, scope);
      case 3:
        return this.p(r.pick(["./a", "./a/b.nix", "../up", "/abs/path", "~/h", "<nixpkgs>", "<nixpkgs/lib>", "x/y", "http://example.org/x?y=1", "x:y", "__curPos"]));
      case 4: {
        const name = r.pick(["true", "null", "builtins", "import", "zz"]);
        return this.p(name === "zz" ? this.unbound() : name);
      }
      case 5:
        return [...this.p("("), ...this.expr(depth - 1, scope, true), ...this.p(")")];
      case 6: {
        const out = this.p("[");
        for (let i = r.int(0, 3); i > 0; i--) out.push(...this.select(depth - 1, scope));
        return [...out, ...this.p("]")];
      }
      case 7:
      case 8:
        return [...this.p(...(r.next() < 0.3 ? ["rec", "{"] : ["{"])), ...this.bindings(depth - 1, scope, [], true), ...this.p("}")];
      case 9: {
        const names: string[] = ["body"];
        const bindings = this.bindings(depth - 1, [...scope, "body"], names, false);
        return [...this.p("let", "{"), ...bindings, ...this.p("body", "="), ...this.expr(depth - 1, [...scope, ...names]), ...this.p(";", "}")];
      }
      case 10:
        return this.indentedString(depth, scope);
      case 11:
        return this.interpolatedPath(depth, scope);
      default:
        return this.p(this.variable(scope));
    }
  }

  private variable(scope: string[]): string {
    return this.random.next() < 0.05 ? this.unbound() : this.random.pick(scope);
  }

  private unbound(): string {
    if (!this.unboundLeft) return "a";
    this.unboundLeft = false;
    return "zz";
  }

  /** Bindings of a set or let; the names it defines are added to `names`. */
  private bindings(depth: number, scope: string[], names: string[], dynamicAllowed: boolean): Piece[] {
    const r = this.random;
    const out: Piece[] = [];
    const firsts = new Set<string>();
    for (let i = r.int(0, 3); i > 0; i--) {
      const roll = r.next();
      // A name already defined here is used again only now and then (a duplicate error).
      const fresh = (candidates: string[]) => candidates.filter((name) => !firsts.has(name) || r.next() < 0.02);
      if (roll < 0.15) {
        const inherited = r.shuffle(fresh(scope)).slice(0, r.int(1, 2));
        inherited.forEach((name) => firsts.add(name));
        names.push(...inherited);
        out.push(...this.p("inherit", ...inherited, ";"));
      } else if (roll < 0.25) {
        const inherited = r.shuffle(fresh(["a", "b", "x"])).slice(0, r.int(1, 2));
        inherited.forEach((name) => firsts.add(name));
        names.push(...inherited);
        out.push(...this.p("inherit", "("), ...this.expr(depth - 1, scope), ...this.p(")", ...inherited, ";"));
      } else {
        const path = this.attrPath(depth, scope, dynamicAllowed);
        const first = path[0].text;
        if (firsts.has(first) && r.next() < 0.9) continue;
        firsts.add(first);
        if (/^[a-z]/.test(first) && first !== "or") names.push(first);
        out.push(...path, ...this.p("="), ...this.expr(depth - 1, scope), ...this.p(";"));
      }
    }
    return out;
  }

  private attrPath(depth: number, scope: string[], dynamicAllowed = true): Piece[] {
    const r = this.random;
    const out: Piece[] = [];
    for (let i = r.int(1, 3); i > 0; i--) {
      if (out.length > 0) out.push(...this.p("."));
      const roll = r.next();
      if (dynamicAllowed && roll < 0.1) out.push(...this.p("${"), ...this.expr(depth - 1, scope), { text: "}", glued: true });
      else if (dynamicAllowed && roll < 0.15) out.push(...this.string(depth - 1, scope));
      else out.push(...this.p(r.pick(ATTR_NAMES)));
    }
    return out;
  }

  /** `"…"` with escapes, `$` oddities and interpolations. */
  private string(depth: number, scope: string[]): Piece[] {
    const r = this.random;
    const out: Piece[] = [{ text: '"' }];
    for (let i = r.int(0, 3); i > 0; i--) {
      if (depth > 0 && r.next() < 0.3) {
        out.push({ text: "${", glued: true }, ...this.expr(depth - 1, scope, true), { text: "}", glued: true });
      } else {
        out.push({ text: r.pick(["text", "\\n\\t\\r", '\\"', "\\\\", "\\$", "$", "$$", "a$", "\\${x}", "é", "multi\nline", "cr\r\nlf"]), glued: true });
      }
    }
    return [...out, { text: '"', glued: true }];
  }

  /** `''…''` with varied indentation, escapes and interpolations. */
  private indentedString(depth: number, scope: string[]): Piece[] {
    const r = this.random;
    const out: Piece[] = [{ text: r.pick(["''", "''\n", "''  \n"]) }];
    for (let i = r.int(0, 4); i > 0; i--) {
      if (depth > 0 && r.next() < 0.25) {
        out.push({ text: "${", glued: true }, ...this.expr(depth - 1, scope, true), { text: "}", glued: true });
      } else {
        out.push({ text: r.pick(["  line\n", "    deeper\n", "\n", "x", " ", "''$", "'''", "''\\n", "''\\t", "$", "'", "\t tab\n", "  \n"]), glued: true });
      }
    }
    return [...out, { text: r.pick(["''", "  ''"]), glued: true }];
  }

  /** `./a${e}b/c${e}`: without a slash before `${` (Nix's --parse output of those is not valid Nix). */
  private interpolatedPath(depth: number, scope: string[]): Piece[] {
    const r = this.random;
    const out: Piece[] = [{ text: r.pick(["./a", "~/b", "/c/d", "e/f"]) }];
    for (let i = r.int(1, 2); i > 0; i--) {
      out.push({ text: "${", glued: true }, ...this.expr(depth - 1, scope, true), { text: "}", glued: true });
      if (r.next() < 0.5) out.push({ text: r.pick(["x", "-y.z", "_1"]), glued: true });
    }
    return out;
  }
}
