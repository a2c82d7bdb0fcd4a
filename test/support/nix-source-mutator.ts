// Mutations of real Nix source texts for the evaluator's fuzz test: spans of token-ish pieces
// deleted, repeated, swapped or spliced in from another file, hostile bytes and tokens
// inserted, the text truncated or wrapped in a context that forces it in another way. Texts are
// binary strings (one char per byte), so any byte can appear.
import type { SeededRandom } from "./seeded-random.ts";

/**
 * Token-ish pieces: not Nix's real tokens (strings are not kept whole, so their insides get
 * mutated too), just units that make mutations land at meaningful places.
 */
const PIECE = /\s+|#[^\n]*|\/\*[\s\S]*?\*\/|[A-Za-z_][A-Za-z0-9_'-]*|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\$\{|''|\.\.\.|\/\/|==|!=|<=|>=|&&|\|\||->|\+\+|\\.|[\s\S]/g;

/** Bytes and short byte sequences that confuse lexers: NUL, high bytes, unbalanced quotes and braces. */
const HOSTILE_BYTES = ["\0", "\xff", "\x80", "\xc3", "\x1b", "\r", "\t", '"', "'", "''", "${", "$", "{", "}", "[", "]", "(", ")", ";", "\\", "#", "/*", "*/", "~", "`", "@", "?", "<", ">", ":", ".", "\n"];

/** Values that stress the evaluator wherever an operand stands. */
const HOSTILE_VALUES = [
  "9223372036854775807",
  "(-9223372036854775807 - 1)",
  "99999999999999999999999999",
  "1.7976931348623157e308",
  "1e999",
  "4.9e-324",
  "(-0.0)",
  "0",
  "(-1)",
  "null",
  "true",
  "./.",
  "<nixpkgs>",
  "__curPos",
  "builtins",
  "(x: x)",
  "({ ... }@a: a)",
  '(throw "fuzz")',
  '(abort "fuzz")',
  "(let x = x; in x)",
  "(rec { a = a; }).a",
  "(let f = x: f x; in f 0)",
  "{ __toString = s: s; }",
  '{ outPath = "/x"; type = "derivation"; }',
  "[ ]",
  "{ }",
  '""',
  "''\n''",
];

/** Words that are only valid in some places. */
const MISPLACED_WORDS = ["inherit", "or", "...", "rec", "let", "in", "with", "assert", "then", "else", "@"];

const OPERATORS = ["+", "-", "*", "/", "++", "//", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "->", "?"];

/** A piece that can stand as an operand: a name (not a keyword), a number or a path-ish word. */
const OPERAND = /^(?!(if|then|else|assert|with|let|in|rec|inherit|or)$)([A-Za-z_][A-Za-z0-9_'-]*|\d.*)$/;

/** Contexts that force or consume the whole program another way than printing it. */
const WRAPPERS: ((program: string) => string)[] = [
  (p) => `builtins.deepSeq (${p}) null`,
  (p) => `builtins.toJSON (${p})`,
  (p) => `builtins.toXML (${p})`,
  (p) => `builtins.tryEval (${p})`,
  (p) => `builtins.typeOf (${p})`,
  (p) => `let v = (${p}); in [ v v (v == v) (v < v) ]`,
  (p) => `builtins.toString (${p})`,
  (p) => `builtins.attrNames (${p})`,
  (p) => `(${p}) (${p})`,
  (p) => `builtins.hashString "sha256" (builtins.toJSON (${p}))`,
];

export class NixSourceMutator {
  private readonly random: SeededRandom;
  /** Other source texts, for splicing spans across files. */
  private readonly corpus: readonly string[];

  constructor(random: SeededRandom, corpus: readonly string[]) {
    this.random = random;
    this.corpus = corpus;
  }

  /** `source` with one random mutation applied, sometimes two. */
  mutate(source: string): string {
    const once = this.mutateOnce(source);
    return this.random.next() < 0.3 ? this.mutateOnce(once) : once;
  }

  /** Half of the mutations keep the syntax (mostly) valid, so that evaluation gets far. */
  private mutateOnce(text: string): string {
    const pieces = text.match(PIECE) ?? [];
    return this.random.next() < 0.5 ? this.keepSyntax(text, pieces) : this.breakSyntax(text, pieces);
  }

  private keepSyntax(text: string, pieces: string[]): string {
    const r = this.random;
    const indices = (re: RegExp) => pieces.flatMap((p, i) => (re.test(p) ? [i] : []));
    switch (r.int(0, 3)) {
      case 0: {
        const operands = indices(OPERAND);
        if (operands.length > 0) pieces[r.pick(operands)] = r.pick(HOSTILE_VALUES);
        break;
      }
      case 1: {
        const operands = indices(OPERAND);
        if (operands.length >= 2) swap(pieces, r.pick(operands), r.pick(operands));
        break;
      }
      case 2: {
        const operators = pieces.flatMap((p, i) => (OPERATORS.includes(p) ? [i] : []));
        if (operators.length > 0) pieces[r.pick(operators)] = r.pick(OPERATORS);
        break;
      }
      default:
        return r.pick(WRAPPERS)(text);
    }
    return pieces.join("");
  }

  private breakSyntax(text: string, pieces: string[]): string {
    const r = this.random;
    const at = () => r.int(0, pieces.length);
    const span = () => {
      const start = r.int(0, Math.max(0, pieces.length - 1));
      return [start, Math.min(pieces.length, start + r.int(1, 12))];
    };
    switch (r.int(0, 7)) {
      case 0: {
        const [start, end] = span();
        pieces.splice(start, end - start);
        break;
      }
      case 1: {
        const [start, end] = span();
        pieces.splice(end, 0, ...pieces.slice(start, end).flatMap((p) => Array(r.int(1, 3) === 3 ? 50 : 1).fill(p)));
        break;
      }
      case 2: {
        const [a, b] = [span(), span()].sort((x, y) => x[0] - y[0]);
        if (a[1] <= b[0]) pieces.splice(a[0], b[1] - a[0], ...pieces.slice(b[0], b[1]), ...pieces.slice(a[1], b[0]), ...pieces.slice(a[0], a[1]));
        break;
      }
      case 3:
        pieces.splice(at(), 0, ...Array.from({ length: r.int(1, 4) }, () => (r.next() < 0.2 ? String.fromCharCode(r.int(0, 255)) : r.pick(HOSTILE_BYTES))));
        break;
      case 4:
        pieces.splice(at(), r.int(0, 1), ` ${r.pick([...MISPLACED_WORDS, ...HOSTILE_VALUES])} `);
        break;
      case 5:
        return text.slice(0, r.int(0, text.length));
      case 6: {
        const other = r.pick(this.corpus).match(PIECE) ?? [];
        const start = r.int(0, other.length);
        pieces.splice(at(), 0, ...other.slice(start, start + r.int(1, 40)));
        break;
      }
      default: {
        // Operators, names and brackets trade places.
        const solid = pieces.flatMap((p, i) => (/\S/.test(p) ? [i] : []));
        if (solid.length >= 2) swap(pieces, r.pick(solid), r.pick(solid));
      }
    }
    return pieces.join("");
  }
}

function swap(pieces: string[], i: number, j: number): void {
  [pieces[i], pieces[j]] = [pieces[j], pieces[i]];
}
