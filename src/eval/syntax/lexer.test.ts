// Lexing against Nix 2.8: what flex's longest match makes of paths, URIs and numbers, and the
// lexer's own errors. Expected values are real Nix 2.8.0's for the same text.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertParseResults, parseResult } from "../../../test/support/parse.ts";
import { Source } from "../position.ts";
import { Lexer } from "./lexer.ts";
import { T, tokenName } from "./tokens.ts";

const LEXED: [string, string][] = [
  ["a: b: c: ./foo", "(a: (b: (c: /test/foo)))"],
  ["a: b: c: ./foo/bar", "(a: (b: (c: /test/foo/bar)))"],
  ["a: b: c: ../foo", "(a: (b: (c: /foo)))"],
  ["a: b: c: ./.", "(a: (b: (c: /test)))"],
  ["a: b: c: /foo//bar", "error: syntax error, unexpected PATH_END, expecting DOLLAR_CURLY @1:10"],
  ["a: b: c: ./a${b}", "(a: (b: (c: (/test/a + b))))"],
  ["a: b: c: ./a${b}c", "(a: (b: (c: (/test/a + b + \"c\"))))"],
  ["a: b: c: ./a${b}/c${c}", "(a: (b: (c: (/test/a + b + \"/c\" + c))))"],
  ["a: b: c: ~/foo", "(a: (b: (c: /home/test/foo)))"],
  ["a: b: c: <nixpkgs>", "(a: (b: (c: (__findFile __nixPath \"nixpkgs\"))))"],
  ["a: b: c: <nixpkgs/lib>", "(a: (b: (c: (__findFile __nixPath \"nixpkgs/lib\"))))"],
  ["a: b: c: 1/2", "(a: (b: (c: /test/1/2)))"],
  ["a: b: c: a/b", "(a: (b: (c: /test/a/b)))"],
  ["a: b: c: a+b/c", "(a: (b: (c: /test/a+b/c)))"],
  ["a: b: c: http://example.org/a?b=c&d", "(a: (b: (c: \"http://example.org/a?b=c&d\")))"],
  ["a: b: c: x:x", "(a: (b: (c: \"x:x\")))"],
  ["a: b: c: a:b", "(a: (b: (c: \"a:b\")))"],
  ["a: b: c: 1.5", "(a: (b: (c: 1.5)))"],
  ["a: b: c: .5", "(a: (b: (c: 0.5)))"],
  ["a: b: c: 1.", "(a: (b: (c: 1)))"],
  ["a: b: c: 1.5e3", "(a: (b: (c: 1500)))"],
  ["a: b: c: 1.5E-3", "(a: (b: (c: 0.0015)))"],
  ["a: b: c: 00.5", "(a: (b: (c: (0 0.5))))"],
  ["a: b: c: 123456789.0", "(a: (b: (c: 1.23457e+08)))"],
  ["a: b: c: 0.1", "(a: (b: (c: 0.1)))"],
  ["a: b: c: 1e-5", "error: undefined variable 'e-5' @1:11"],
];

const LEXER_ERRORS: [string, string][] = [
  ["1 /* foo", "error: syntax error, unexpected '*' @1:4"],
  ["1 $", "error: syntax error, unexpected invalid token, expecting end of file @1:3"],
  ["1 '", "error: syntax error, unexpected invalid token, expecting end of file @1:3"],
  ["1 %", "error: syntax error, unexpected invalid token, expecting end of file @1:3"],
  ["1 &", "error: syntax error, unexpected invalid token, expecting end of file @1:3"],
  ["1 |", "error: syntax error, unexpected invalid token, expecting end of file @1:3"],
  ["1 ~", "error: syntax error, unexpected invalid token, expecting end of file @1:3"],
  ["9223372036854775807", "9223372036854775807"],
  ["9223372036854775808", "error: invalid integer '9223372036854775808' @1:1"],
  ["-9223372036854775808", "error: invalid integer '9223372036854775808' @1:2"],
  ["1.0e400", "error: invalid float '1.0e400' @1:1"],
  ["2.0e-310", "error: invalid float '2.0e-310' @1:1"],
  ["./a/", "error: path has a trailing slash @1:1"],
  ["./a/${\"b\"}/", "error: path has a trailing slash @1:11"],
  ["/a//b", "error: syntax error, unexpected PATH_END, expecting DOLLAR_CURLY @1:1"],
  ["/a//b//c", "error: syntax error, unexpected STR, expecting DOLLAR_CURLY @1:7"],
  ["./a/ 1", "error: path has a trailing slash @1:5"],
  ["~/", "error: syntax error, unexpected invalid token @1:1"],
  ["<a/>", "error: syntax error, unexpected '<' @1:1"],
  ["é", "error: syntax error, unexpected invalid token @1:1"],
  ["1 é", "error: syntax error, unexpected invalid token, expecting end of file @1:3"],
  ["x: x \u0000 garbage", "(x: x)"],
  ["\"a\u0000b\"", "\"a\""],
];

test("paths, URIs and numbers lex as in Nix 2.8", () => {
  assertParseResults(LEXED);
});

test("bad tokens and literals fail as in Nix 2.8", () => {
  assertParseResults(LEXER_ERRORS);
});

/** Each token as NAME@offset (offsets within the text). */
function tokens(text: string): string[] {
  const source = new Source(null, text, 1);
  const lexer = new Lexer(source);
  const out: string[] = [];
  for (;;) {
    const token = lexer.next();
    out.push(`${tokenName(token.type)}@${token.start - 1}`);
    if (token.type === T.EOF) return out;
  }
}

test("a path ends with PATH_END, placed where flex's rewound location puts it", () => {
  // After text in a path the end is reported at that text; at the end of input, one lexeme earlier.
  assert.deepEqual(tokens("./a "), ["PATH@0", "PATH_END@0", "end of file@3"]);
  assert.deepEqual(tokens("( ./a"), ["'('@0", "PATH@2", "PATH_END@1", "end of file@1"]);
  assert.deepEqual(tokens("./a/${b}/c"), ["PATH@0", "DOLLAR_CURLY@4", "ID@6", "'}'@7", "STR@8", "PATH_END@7", "end of file@7"]);
});

test("the end of input is placed at the start of the last lexeme, comments and spaces included", () => {
  assert.deepEqual(tokens(""), ["end of file@0"]);
  assert.deepEqual(tokens("1 # c\n  "), ["INT@0", "end of file@5"]);
  assert.deepEqual(tokens("1 /* c */"), ["INT@0", "end of file@2"]);
});

test("a NUL byte outside a string ends the input", () => {
  assert.deepEqual(tokens("1 \0 2"), ["INT@0", "end of file@2"]);
});

test("string and indented-string tokens", () => {
  assert.deepEqual(tokens('"a${b}c"'), ["'\"'@0", "STR@1", "DOLLAR_CURLY@2", "ID@4", "'}'@5", "STR@6", "'\"'@7", "end of file@7"]);
  assert.deepEqual(tokens("''a''$''\\n${b}''"), [
    "IND_STRING_OPEN@0",
    "IND_STR@2",
    "IND_STR@3",
    "IND_STR@6",
    "DOLLAR_CURLY@10",
    "ID@12",
    "'}'@13",
    "IND_STRING_CLOSE@14",
    "end of file@14",
  ]);
});

test("long runs of path and URI characters lex in linear time", () => {
  // Each of these is many tokens inside one run of characters that could start a path or a
  // URI; rescanning the run for every token would take minutes.
  const started = performance.now();
  for (const unit of ["-", "a.", "1.", "_.", "/*", "+-"]) parseResult(unit.repeat(400000));
  assert.ok(performance.now() - started < 10000, `${performance.now() - started} ms`);
});
