// The grammar against Nix 2.8: operator precedence and associativity, the parser's
// desugaring, every expression form, and syntax errors with bison's wording and position.
// Expected values are `nix-instantiate --parse` output of real Nix 2.8.0 for the same text.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertParseResults, parseResult, TEST_FILE } from "../../../test/support/parse.ts";
import { addSource } from "../position.ts";
import { parseNix } from "./parse.ts";

const PARSES: [string, string][] = [
  ["a: b: c: a + b * c", "(a: (b: (c: (a + (__mul b c)))))"],
  ["a: b: c: a * b + c", "(a: (b: (c: ((__mul a b) + c))))"],
  ["a: b: c: a - b - c", "(a: (b: (c: (__sub (__sub a b) c))))"],
  ["a: b: c: a / b / c", "(a: (b: (c: (__div (__div a b) c))))"],
  ["a: b: c: a ++ b ++ c", "(a: (b: (c: (a ++ (b ++ c)))))"],
  ["a: b: c: a // b // c", "(a: (b: (c: (a // (b // c)))))"],
  ["a: b: c: a -> b -> c", "(a: (b: (c: (a -> (b -> c)))))"],
  ["a: b: c: a || b && c", "(a: (b: (c: (a || (b && c)))))"],
  ["a: b: c: a && b || c", "(a: (b: (c: ((a && b) || c))))"],
  ["a: b: c: a == b && c", "(a: (b: (c: ((a == b) && c))))"],
  ["a: b: c: a < b == c", "(a: (b: (c: ((__lessThan a b) == c))))"],
  ["a: b: c: a <= b", "(a: (b: (c: (! (__lessThan b a)))))"],
  ["a: b: c: a >= b", "(a: (b: (c: (! (__lessThan a b)))))"],
  ["a: b: c: a > b", "(a: (b: (c: (__lessThan b a))))"],
  ["a: b: c: !a // b", "(a: (b: (c: ((! a) // b))))"],
  ["a: b: c: a + !b // c", "(a: (b: (c: ((a + (! b)) // c))))"],
  ["a: b: c: a * !b + c", "(a: (b: (c: (__mul a (! (b + c))))))"],
  ["a: b: c: !a == b", "(a: (b: (c: ((! a) == b))))"],
  ["a: b: c: !a ? b", "(a: (b: (c: (! ((a) ? b)))))"],
  ["a: b: c: -a ? b", "(a: (b: (c: (((__sub 0 a)) ? b))))"],
  ["a: b: c: - a.b c", "(a: (b: (c: (__sub 0 ((a).b c)))))"],
  ["a: b: c: a ? b.c", "(a: (b: (c: ((a) ? b.c))))"],
  ["a: b: c: a ++ b ? c", "(a: (b: (c: (a ++ ((b) ? c)))))"],
  ["a: b: c: a ? b ? c", "(a: (b: (c: ((((a) ? b)) ? c))))"],
  ["a: b: c: - - a", "(a: (b: (c: (__sub 0 (__sub 0 a)))))"],
  ["a: b: c: a - -b", "(a: (b: (c: (__sub a (__sub 0 b)))))"],
  ["a: b: c: a -b", "(a: (b: (c: (__sub a b))))"],
  ["a: b: c: a.b.c or d", "error: undefined variable 'd' @1:19"],
  ["a: b: c: a.b or c.d or a", "(a: (b: (c: (a).b or ((c).d or (a)))))"],
  ["a: b: c: a b.c or a", "(a: (b: (c: (a (b).c or (a)))))"],
  ["a: b: c: a or b", "error: undefined variable 'or' @1:10"],
  ["a: b: c: [ a or b ]", "error: undefined variable 'or' @1:12"],
  ["a: b: c: (a b) c", "(a: (b: (c: (a b c))))"],
  ["a: b: c: (a - b) c", "(a: (b: (c: (__sub a b c))))"],
  ["a: b: c: (-a) b", "(a: (b: (c: (__sub 0 a b))))"],
  ["a: b: c: (a < b) c", "(a: (b: (c: (__lessThan a b c))))"],
  ["a: b: c: a.or", "(a: (b: (c: (a).or)))"],
  ["a: b: c: { or = a; }.or", "(a: (b: (c: ({ or = a; }).or)))"],
  ["a: b: c: if a then b else c", "(a: (b: (c: (if a then b else c))))"],
  ["a: b: c: if a then if b then c else a else b", "(a: (b: (c: (if a then (if b then c else a) else b))))"],
  ["a: b: c: assert a; b", "(a: (b: (c: assert a; b)))"],
  ["a: b: c: with a; b", "(a: (b: (c: (with a; b))))"],
  ["a: b: c: let x = a; in x", "(a: (b: (c: (let x = a; in x))))"],
  ["a: b: c: let in a", "(a: (b: (c: (let in a))))"],
  ["a: b: c: let { body = a; }", "(a: (b: (c: (rec { body = a; }).body)))"],
  ["a: b: c: let { x = a; body = x; }.foo", "(a: (b: (c: ((rec { body = x; x = a; }).body).foo)))"],
  ["a: b: c: rec { x = a; y = x; }", "(a: (b: (c: rec { x = a; y = x; })))"],
  ["a: b: c: { x.y.z = a; x.w = b; }", "(a: (b: (c: { x = { w = b; y = { z = a; }; }; })))"],
  ["a: b: c: { x = { y = a; }; x.z = b; }", "(a: (b: (c: { x = { y = a; z = b; }; })))"],
  ["a: b: c: { x.z = b; x = { y = a; }; }", "(a: (b: (c: { x = { y = a; z = b; }; })))"],
  ["a: b: c: { x = rec { y = a; }; x.z = y; }", "(a: (b: (c: { x = rec { y = a; z = y; }; })))"],
  ["a: b: c: { x.z = b; x = { y = a; ${c} = 1; }; }", "(a: (b: (c: { x = { y = a; z = b; }; })))"],
  ["a: b: c: { ${a} = 1; \"${b}\" = 2; \"x\" = 3; ${\"y\"} = 4; }", "(a: (b: (c: { x = 3; y = 4; \"${a}\" = 1; \"${(b)}\" = 2; })))"],
  ["a: b: c: { inherit a; inherit (b) x y; }", "(a: (b: (c: { inherit a ; x = (b).x; y = (b).y; })))"],
  ["a: b: c: let inherit a; inherit (b) x; in x", "(a: (b: (c: (let inherit a; x = (b).x; in x))))"],
  ["a: b: c: x: x", "(a: (b: (c: (x: x))))"],
  ["a: b: c: { x }: x", "(a: (b: (c: ({ x }: x))))"],
  ["a: b: c: { x ? a }: x", "(a: (b: (c: ({ x ? a }: x))))"],
  ["a: b: c: { ... }: a", "(a: (b: (c: ({ ... }: a))))"],
  ["a: b: c: { x, ... }: x", "(a: (b: (c: ({ x, ... }: x))))"],
  ["a: b: c: { }: a", "(a: (b: (c: ({  }: a))))"],
  ["a: b: c: { } @ x: x", "(a: (b: (c: ({  } @ x: x))))"],
  ["a: b: c: x @ { }: x", "(a: (b: (c: ({  } @ x: x))))"],
  ["a: b: c: { x } @ y: y", "(a: (b: (c: ({ x } @ y: y))))"],
  ["a: b: c: y @ { x }: y", "(a: (b: (c: ({ x } @ y: y))))"],
  ["a: b: c: { x, }: x", "(a: (b: (c: ({ x }: x))))"],
  ["a: b: c: f: f a b c", "(a: (b: (c: (f: (f a b c)))))"],
  ["a: b: c: a (b c)", "(a: (b: (c: (a (b c)))))"],
  ["a: b: c: [ a b (c a) ]", "(a: (b: (c: [ (a) (b) ((c a)) ])))"],
  ["a: b: c: [ ]", "(a: (b: (c: [ ])))"],
  ["a: b: c: [ a.b c ]", "(a: (b: (c: [ ((a).b) (c) ])))"],
  ["a: b: c: foo/bar", "(a: (b: (c: /test/foo/bar)))"],
  ["a: b: c: __curPos", "(a: (b: (c: __curPos)))"],
  ["a: b: c: let __sub = 1; in a - b", "(a: (b: (c: (let __sub = 1; in (__sub a b)))))"],
  ["a: b: c: with a; x", "(a: (b: (c: (with a; x))))"],
  ["a: b: c: { a = 1; }.a", "(a: (b: (c: ({ a = 1; }).a)))"],
  ["a: b: c: a: a", "(a: (b: (c: (a: a))))"],
  ["a: b: c: rec { }", "(a: (b: (c: rec { })))"],
  ["a: b: c: { \"a b\" = 1; \"if\" = 2; \"\" = 3; \"1\" = 4; }", "(a: (b: (c: { \"\" = 3; \"1\" = 4; \"a b\" = 1; \"if\" = 2; })))"],
  ["a: b: c: { a = 1; }//{ b = 2; }", "(a: (b: (c: ({ a = 1; } // { b = 2; }))))"],
  ["a: b: c: a//b", "(a: (b: (c: (a // b))))"],
  ["a: b: c: a++b", "(a: (b: (c: (a ++ b))))"],
  ["a: b: c: a->b", "error: undefined variable 'a-' @1:10"],
  ["a: b: c: a==b", "(a: (b: (c: (a == b))))"],
  ["a: b: c: a!=b", "(a: (b: (c: (a != b))))"],
  ["a: b: c: a<=b", "(a: (b: (c: (! (__lessThan b a)))))"],
  ["a: b: c: a>=b", "(a: (b: (c: (! (__lessThan a b)))))"],
  ["a: b: c: a&&b", "(a: (b: (c: (a && b))))"],
  ["a: b: c: a||b", "(a: (b: (c: (a || b))))"],
  ["a: b: c: a-b", "error: undefined variable 'a-b' @1:10"],
  ["a: b: c: a*b", "(a: (b: (c: (__mul a b))))"],
  ["a: b: c: a?b", "(a: (b: (c: ((a) ? b))))"],
  ["a: b: c: a.b", "(a: (b: (c: (a).b)))"],
  ["a: b: c: a!b", "error: syntax error, unexpected '!', expecting end of file @1:11"],
];

const SYNTAX_ERRORS: [string, string][] = [
  ["1 == 2 == 3", "error: syntax error, unexpected EQ @1:8"],
  ["1 < 2 > 3", "error: syntax error, unexpected '>' @1:7"],
  ["a: a ? b ? c", "(a: ((((a) ? b)) ? c))"],
  ["{ a }", "error: syntax error, unexpected end of file, expecting ':' or '@' @1:5"],
  ["{ a } ;", "error: syntax error, unexpected ';', expecting ':' or '@' @1:7"],
  ["{ } ;", "error: syntax error, unexpected ';', expecting ':' or '@' @1:5"],
  ["( { } ;", "error: syntax error, unexpected ';', expecting ':' or '@' @1:7"],
  ["{ , }", "error: syntax error, unexpected ',' @1:3"],
  ["{ ..., a }: 1", "error: syntax error, unexpected ',', expecting '}' @1:6"],
  ["{ a, , b }: 1", "error: syntax error, unexpected ',', expecting '}' @1:6"],
  ["{ a ? }: 1", "error: syntax error, unexpected '}' @1:7"],
  ["let or = 1; in or", "error: syntax error, unexpected OR_KW @1:16"],
  ["x: x or or", "error: syntax error, unexpected OR_KW, expecting end of file @1:9"],
  ["x: x.a or", "error: syntax error, unexpected end of file @1:8"],
  ["a @ b", "error: syntax error, unexpected ID, expecting '{' @1:5"],
  ["{} @ 1", "error: syntax error, unexpected INT, expecting ID @1:6"],
  ["if 1 then 2", "error: syntax error, unexpected end of file, expecting ELSE @1:11"],
  ["assert 1", "error: syntax error, unexpected end of file, expecting ';' @1:8"],
  ["with 1", "error: syntax error, unexpected end of file, expecting ';' @1:6"],
  ["let a = 1; b", "error: syntax error, unexpected end of file, expecting '.' or '=' @1:12"],
  ["let a = 1; in", "error: syntax error, unexpected end of file @1:12"],
  ["rec 1", "error: syntax error, unexpected INT, expecting '{' @1:5"],
  ["x: x let", "error: syntax error, unexpected end of file, expecting '{' @1:6"],
  ["[ 1 + 2 ]", "error: syntax error, unexpected '+' @1:5"],
  ["( 1 ", "error: syntax error, unexpected end of file, expecting ')' @1:4"],
  ["x: x.\"a", "error: syntax error, unexpected end of file, expecting '\"' @1:7"],
  ["\"${1", "error: syntax error, unexpected end of file, expecting '}' @1:4"],
  ["\"abc", "error: syntax error, unexpected end of file, expecting '\"' @1:2"],
  ["''abc", "error: syntax error, unexpected end of file, expecting IND_STR or DOLLAR_CURLY or IND_STRING_CLOSE @1:3"],
  ["''${1}", "error: syntax error, unexpected end of file, expecting IND_STR or DOLLAR_CURLY or IND_STRING_CLOSE @1:6"],
  ["x: x.${1", "error: syntax error, unexpected end of file, expecting '}' @1:8"],
  ["{ a.b ; }", "error: syntax error, unexpected ';', expecting '.' or '=' @1:7"],
  ["{ inherit a b }", "error: syntax error, unexpected '}' @1:15"],
  ["{ inherit (1 a; }", "error: syntax error, unexpected ';', expecting ')' @1:15"],
  ["{a, b, a, b}: 1", "error: duplicate formal function argument 'a' @1:8"],
  ["a@{a}: 1", "error: duplicate formal function argument 'a' @1:1"],
  ["{a}@a: 1", "error: duplicate formal function argument 'a' @1:1"],
  ["{a, a}@a: 1", "error: duplicate formal function argument 'a' @1:5"],
  ["((1)", "error: syntax error, unexpected end of file, expecting ')' @1:4"],
  ["[ [ ]", "error: syntax error, unexpected end of file @1:5"],
  ["''\n  a\n''\n", "\"a\\n\""],
  ["", "error: syntax error, unexpected end of file @1:1"],
  [" ", "error: syntax error, unexpected end of file @1:1"],
  ["\n\n", "error: syntax error, unexpected end of file @1:1"],
  ["# comment", "error: syntax error, unexpected end of file @1:1"],
  ["/* c */", "error: syntax error, unexpected end of file @1:1"],
  ["(\n# no content\n", "error: syntax error, unexpected end of file @2:13"],
  ["{ a } @ 1: 1", "error: syntax error, unexpected INT, expecting ID @1:9"],
  ["x @ { a } 1", "error: syntax error, unexpected INT, expecting ':' @1:11"],
  ["let { a = 1; ", "error: syntax error, unexpected end of file @1:13"],
];

test("expressions parse to the trees Nix 2.8 prints", () => {
  assertParseResults(PARSES);
});

test("syntax errors have Nix 2.8's message and position", () => {
  assertParseResults(SYNTAX_ERRORS);
});

test("several repeated formals: the first repetition is reported", () => {
  // Nix picks by symbol-table address among `a` and `b`; the message shape is the same.
  assert.equal(parseResult("{a, b, b, a}: 1"), "error: duplicate formal function argument 'b' @1:8");
});

test("nesting deeper than the stack allows is a clean parse error, never a crash", () => {
  // Nix itself stops at its bison stack limit ("memory exhausted"); the thread running the
  // parser may have less stack than needed to get there (`tvix parse` runs it with plenty).
  for (const text of ["(".repeat(200000), "[".repeat(200000), "x: ".repeat(200000), "-".repeat(200000)]) {
    assert.match(parseResult(text), /^error: (memory exhausted|expression nested too deeply for the parser's stack) @1:\d+$/);
  }
});

test("spans cover exactly each construct's text; positions are those Nix reports", () => {
  const text = 'f: { inherit f; b = (f f) "x${f}y" ./p/${f}; c = f.b or 1; }';
  const source = addSource(TEST_FILE, text);
  const lambda = parseNix(source);
  const slice = (node: { start: number; end: number }) => text.slice(node.start - source.base, node.end - source.base);
  assert.equal(lambda.kind, "Lambda");
  assert.equal(slice(lambda), text);
  const set = lambda.body;
  assert.equal(set.kind, "Attrs");
  assert.equal(slice(set), text.slice(3));
  const [a, b, c] = set.attrs;
  // `inherit f`: Nix places the variable just after `{` and the attribute after `inherit`.
  assert.equal(a.value.kind, "Var");
  assert.deepEqual([slice(a.value), a.value.pos - source.base, a.pos - source.base], ["f", 4, 12]);
  // `(f f) "x${f}y" p`: one call; Nix's position for it is the `f` inside the parentheses.
  assert.equal(b.value.kind, "Call");
  assert.equal(slice(b.value), 'f f) "x${f}y" ./p/${f}');
  const [, str, path] = b.value.args;
  assert.equal(str.kind, "ConcatStrings");
  // A string's position in Nix is its first part; an interpolation's is its `${`.
  assert.deepEqual([slice(str), str.pos - source.base, str.partPos.map((p) => p - source.base)], ['"x${f}y"', 27, [27, 28, 32]]);
  assert.equal(path.kind, "ConcatStrings");
  assert.deepEqual([slice(path), path.parts.map(slice)], ["./p/${f}", ["./p/", "f"]]);
  assert.equal(c.value.kind, "Select");
  assert.equal(slice(c.value), "f.b or 1");
});
