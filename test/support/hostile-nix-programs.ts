// Whole Nix programs made to hurt an evaluator, for its fuzz test: nesting bombs for the parser
// and the printer, recursion bombs, deep lazy chains and deep values, integers and floats at
// their limits, and builtins called with arguments of the wrong types.
import type { SeededRandom } from "./seeded-random.ts";

const DEPTHS = [100, 1000, 10_000, 100_000, 1_000_000];

/** `open(i)` … `close(i)` nested `n` deep around `core`. */
function nest(n: number, open: string, core: string, close: string): string {
  return open.repeat(n) + core + close.repeat(n);
}

const NESTING: ((n: number) => string)[] = [
  (n) => nest(n, "[", "1", "]"),
  (n) => nest(n, "(", "1", ")"),
  (n) => nest(n, "{ a = ", "1", "; }"),
  (n) => nest(n, "let a = 1; in ", "a", ""),
  (n) => nest(n, "x: ", "x", ""),
  (n) => `{ }${".a".repeat(n)} or 1`,
  (n) => nest(n, "1 + ", "1", ""),
  (n) => nest(n, "", "1", " + 1"),
  (n) => nest(n, '"${', '"x"', '}"'),
  (n) => nest(n, "''${", "''x''", "}''"),
  (n) => nest(n, "if true then ", "1", " else 0"),
  (n) => nest(n, "assert true; ", "1", ""),
  (n) => nest(n, "!", "true", ""),
  (n) => nest(n, "-", "1", ""),
  (n) => nest(n, "with { }; ", "1", ""),
  (n) => nest(n, "[ 1 ] ++ ", "[ ]", ""),
  (n) => nest(n, "{ } // ", "{ }", ""),
  (n) => nest(n, "rec { a = ", "1", "; }.a"),
  (n) => nest(n, "[", "", ""),
  (n) => nest(n, "{", "", ""),
  (n) => nest(n, '"${', "", ""),
];

/** Programs whose evaluation recurses `n` deep or builds values `n` deep. */
const DEEP: ((n: number) => string)[] = [
  (n) => `let f = n: if n == 0 then 0 else 1 + f (n - 1); in f ${n}`,
  (n) => `builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) ${n})`,
  (n) => `(builtins.foldl' (acc: x: { v = acc.v + x; }) { v = 0; } (builtins.genList (x: x) ${n})).v`,
  (n) => `builtins.foldl' (a: b: [ a ]) [ ] (builtins.genList (x: x) ${n})`,
  (n) => `builtins.toJSON (builtins.foldl' (a: b: [ a ]) [ ] (builtins.genList (x: x) ${n}))`,
  (n) => `builtins.toXML (builtins.foldl' (a: b: { inherit a; }) { } (builtins.genList (x: x) ${n}))`,
  (n) => `builtins.deepSeq (builtins.foldl' (a: b: { inherit a; }) { } (builtins.genList (x: x) ${n})) 1`,
  (n) => `let d = builtins.foldl' (a: b: [ a ]) [ ] (builtins.genList (x: x) ${n}); e = builtins.foldl' (a: b: [ a ]) [ ] (builtins.genList (x: x) ${n}); in [ (d == e) (d < e) ]`,
  (n) => `builtins.foldl' (a: b: builtins.seq a (a ++ [ b ])) [ ] (builtins.genList (x: x) ${Math.min(n, 3000)})`,
  (n) => `builtins.length (builtins.sort (a: b: a > b) (builtins.genList (x: x * 7919 - x * x) ${n}))`,
  (n) => `builtins.stringLength (builtins.concatStringsSep "" (builtins.genList (x: "xy") ${n}))`,
  (n) => `let f = n: if n == 0 then "" else "\${f (n - 1)}x"; in builtins.stringLength (f ${n})`,
  (n) => `builtins.genericClosure { startSet = [ { key = 0; } ]; operator = x: if x.key < ${n} then [ { key = x.key + 1; } ] else [ ]; }`,
  (n) => `let s = builtins.foldl' (a: b: a // { "\${toString b}" = b; }) { } (builtins.genList (x: x) ${Math.min(n, 3000)}); in builtins.length (builtins.attrNames s)`,
  (n) => `builtins.tryEval (let f = n: if n == 0 then throw "bottom" else f (n - 1) + 1; in f ${n})`,
];

const RECURSION: string[] = [
  "let x = x; in x",
  "rec { a = a; }",
  "rec { a = b; b = a; }.a",
  "let f = x: f x; in f 1",
  "let f = x: 1 + f x; in f 1",
  "let f = x: f (x + 1); in f 0",
  "let a = { b = a.b; }; in a.b",
  "let xs = [ (builtins.head xs) ]; in xs",
  "let s = { inherit (s) a; }; in s",
  "builtins.tryEval (let x = x; in x)",
  "let x = builtins.seq x 1; in x",
  "let f = x: builtins.deepSeq (f x) x; in f { }",
  "let l = builtins.genList (i: builtins.elemAt l i) 3; in l",
  "builtins.toJSON (rec { a = { inherit a; }; })",
  "rec { a = { inherit a; }; }",
  "builtins.toXML (rec { a = [ a ]; })",
  "let s = { __toString = self: toString self; }; in toString s",
  "let s = { outPath = s; }; in \"${s}\"",
  "builtins.genericClosure { startSet = [ { key = 0; } ]; operator = x: [ { key = builtins.seq (let y = y; in y) 1; } ]; }",
];

const NUMBERS: string[] = [
  "9223372036854775807 + 1",
  "-9223372036854775808 - 1",
  "(-9223372036854775807 - 1) / -1",
  "9223372036854775807 * 9223372036854775807",
  "9223372036854775808",
  "99999999999999999999999999999",
  "1 / 0",
  "1.0 / 0",
  "0.0 / 0.0",
  "1e308 * 10",
  "-1e308 * 10",
  "builtins.ceil 1e300",
  "builtins.floor (-1e300)",
  "builtins.ceil (1e308 * 10)",
  "builtins.bitAnd 9223372036854775807 (-1)",
  "builtins.substring 0 9223372036854775807 \"abc\"",
  "builtins.substring 9223372036854775807 1 \"abc\"",
  "builtins.substring (-1) 1 \"abc\"",
  "builtins.elemAt [ 1 ] 9223372036854775807",
  "builtins.elemAt [ 1 ] (-1)",
  "builtins.genList (x: x) (-1)",
  'builtins.fromJSON "1e400"',
  'builtins.fromJSON "123456789012345678901234567890"',
  'builtins.fromJSON "-9223372036854775809"',
  'builtins.fromTOML "a = 99999999999999999999"',
  'builtins.fromTOML "a = 1e400"',
  "builtins.toJSON 1e308",
  "builtins.toJSON (1e308 * 10)",
  "builtins.toString 4.9e-324",
  "builtins.lessThan (1.0 / 0) 9223372036854775807",
  "9223372036854775807 == 9223372036854775807.0",
  'builtins.compareVersions "1.99999999999999999999999" "1.2"',
  "builtins.div (-9223372036854775807 - 1) (-1)",
  "builtins.sort builtins.lessThan [ (0.0 / 0.0) 1 (0.0 / 0.0) 0 ]",
];

/** Arguments of every type, including ones that fail when forced. */
const ARGUMENTS = [
  "null",
  "true",
  "0",
  "-1",
  "9223372036854775807",
  "(-9223372036854775807 - 1)",
  "1.5",
  "-0.0",
  "1e308",
  '""',
  '"a"',
  '"/"',
  '"sha256"',
  '"(a|b)*["',
  '"[1, {\\"a\\": 2e999}"',
  '"a = [1, \\"x\\"]"',
  '"/nix/store/00000000000000000000000000000000-x"',
  '"\\n\\t\\\\ \xff"',
  '"${./.}"',
  "./.",
  "[ ]",
  '[ 1 "a" null ]',
  "{ }",
  "{ a = 1; }",
  '{ outPath = "/x"; }',
  '{ __toString = s: "s"; }',
  '{ type = "derivation"; }',
  '{ "/nix/store/00000000000000000000000000000000-x" = { outputs = [ "out" ]; path = true; }; }',
  '[ { key = 1; } { key = "1"; } ]',
  "(x: x)",
  "({ a }: a)",
  "builtins.add",
  '(throw "t")',
  '(abort "a")',
  "(let x = x; in x)",
  '(builtins.derivation { name = "d"; system = "x"; builder = "/b"; })',
];

/**
 * Builtins that reach the network, copy arbitrary paths into the store or run programs: a fuzz
 * test must not call them with random arguments.
 */
const UNSAFE_BUILTINS = /^(fetch|getFlake$|filterSource$|path$|storePath$|exec$|importNative$|break$)/;

export class HostileProgramGenerator {
  private readonly random: SeededRandom;
  private readonly builtinNames: readonly string[];

  /** `builtinNames`: the names to call (usually real Nix's `builtins.attrNames builtins`). */
  constructor(random: SeededRandom, builtinNames: readonly string[]) {
    this.random = random;
    this.builtinNames = builtinNames.filter((name) => !UNSAFE_BUILTINS.test(name));
  }

  program(): string {
    const r = this.random;
    switch (r.int(0, 4)) {
      case 0:
        return r.pick(NESTING)(r.pick(DEPTHS));
      case 1:
        return r.pick(DEEP)(r.pick(DEPTHS));
      case 2:
        return r.pick(RECURSION);
      case 3:
        return r.pick(NUMBERS);
      default:
        return this.builtinCall(2);
    }
  }

  /** `builtins.NAME ARG…` with zero to three arguments, some of them builtin calls themselves. */
  private builtinCall(depth: number): string {
    const r = this.random;
    const args = Array.from({ length: r.int(0, 3) }, () => (depth > 0 && r.next() < 0.2 ? `(${this.builtinCall(depth - 1)})` : r.pick(ARGUMENTS)));
    return [`builtins.${r.pick(this.builtinNames)}`, ...args].join(" ");
  }
}
