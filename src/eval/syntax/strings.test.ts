// String literals against Nix 2.8: escapes, `$` rules, CR/CRLF normalisation, interpolation
// and the indentation stripping of ''indented strings'' (expected values are real Nix 2.8.0's
// `--parse` output for the same text), plus the two helpers on their own.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertParseResults } from "../../../test/support/parse.ts";
import { stripIndentation, unescapeString, type IndentedPart } from "./strings.ts";

const STRINGS: [string, string][] = [
  ["a: b: c: a ? \"x\".${b}", "(a: (b: (c: ((a) ? x.\"${b}\"))))"],
  ["a: b: c: a.\"b\" .c", "(a: (b: (c: (a).b.c)))"],
  ["a: b: c: a.${b}.\"${c}\"", "(a: (b: (c: (a).\"${b}\".\"${(c)}\")))"],
  ["a: b: c: a.\"x${b}\"", "(a: (b: (c: (a).\"${(\"x\" + b)}\")))"],
  ["a: b: c: \"\"", "(a: (b: (c: \"\")))"],
  ["a: b: c: \"x\"", "(a: (b: (c: \"x\")))"],
  ["a: b: c: \"${a}\"", "(a: (b: (c: (a))))"],
  ["a: b: c: \"x${a}\"", "(a: (b: (c: (\"x\" + a))))"],
  ["a: b: c: \"${a}x\"", "(a: (b: (c: (a + \"x\"))))"],
  ["a: b: c: \"${a}${b}\"", "(a: (b: (c: (a + b))))"],
  ["a: b: c: \"\\n\\t\\r\\\\\\$\\\"\\a\"", "(a: (b: (c: \"\\n\\t\\r\\\\\\$\\\"a\")))"],
  ["a: b: c: \"$\"", "(a: (b: (c: \"\\$\")))"],
  ["a: b: c: \"$$\"", "(a: (b: (c: \"\\$\\$\")))"],
  ["a: b: c: \"$${a}\"", "(a: (b: (c: \"\\$\\${a}\")))"],
  ["a: b: c: \"\\${a}\"", "(a: (b: (c: \"\\${a}\")))"],
  ["a: b: c: \"a$\"", "(a: (b: (c: \"a\\$\")))"],
  ["a: b: c: ''''", "(a: (b: (c: \"\")))"],
  ["a: b: c: ''x''", "(a: (b: (c: \"x\")))"],
  ["a: b: c: ''\n  x\n  y\n''", "(a: (b: (c: \"x\\ny\\n\")))"],
  ["a: b: c: ''\n  x\n    y\n  ''", "(a: (b: (c: \"x\\n  y\\n\")))"],
  ["a: b: c: ''  x\n y''", "(a: (b: (c: \" x\\ny\")))"],
  ["a: b: c: ''\n\n  x\n\n  y\n''", "(a: (b: (c: \"\\nx\\n\\ny\\n\")))"],
  ["a: b: c: ''\n  ${a}\n  x\n''", "(a: (b: (c: (\"\" + a + \"\\nx\\n\"))))"],
  ["a: b: c: ''\n    ${a} x\n  y''", "(a: (b: (c: (\"  \" + a + \" x\\ny\"))))"],
  ["a: b: c: ''a'''b''", "(a: (b: (c: (\"a\" + \"''\" + \"b\"))))"],
  ["a: b: c: ''$${a}''", "(a: (b: (c: \"\\$\\${a}\")))"],
  ["a: b: c: ''''$''", "(a: (b: (c: \"\\$\")))"],
  ["a: b: c: ''''\\n''", "(a: (b: (c: \"\\n\")))"],
  ["a: b: c: ''\n  ''\\t x\n''", "(a: (b: (c: (\"\" + \"\\t\" + \" x\\n\"))))"],
  ["a: b: c: ''\n  ''\\  x\n   y\n''", "(a: (b: (c: (\"\" + \" \" + \" x\\n y\\n\"))))"],
  ["a: b: c: ''\n  a\n  ''\\n  b\n''", "(a: (b: (c: (\"a\\n\" + \"\\n\" + \"b\\n\"))))"],
  ["a: b: c: '' x ''", "(a: (b: (c: \"x \")))"],
  ["a: b: c: ''\n  x\n  ''", "(a: (b: (c: \"x\\n\")))"],
  ["a: b: c: ''\n  x\n  z''", "(a: (b: (c: \"x\\nz\")))"],
  ["a: b: c: ''\t\n  x''", "(a: (b: (c: \"\\t\\n  x\")))"],
  ["a: b: c: ''\n\tx\n''", "(a: (b: (c: \"\\tx\\n\")))"],
  ["a: b: c: ''${a}''", "(a: (b: (c: (a))))"],
  ["a: b: c: ''x${a}''", "(a: (b: (c: (\"x\" + a))))"],
  ["a: b: c: ''\n  x\n''${a}", "error: syntax error, unexpected end of file, expecting IND_STR or DOLLAR_CURLY or IND_STRING_CLOSE @3:4"],
  ["\"a\r\nb\rc\nd\"", "\"a\\nb\\nc\\nd\""],
  ["\"a\\\r\nb\"", "\"a\\r\\nb\""],
  ["''\r\n  a\r\n  b\r\n''", "\"\\r\\n  a\\r\\n  b\\r\\n\""],
  ["''\n  a\r\n  b\n''", "\"a\\r\\nb\\n\""],
  ["\"\\é\"", "\"é\""],
  ["\"cafÃ©\"", "\"cafÃ©\""],
  ["''\n  a\n \n  b\n''", "\"a\\n\\nb\\n\""],
  ["''\n  a\n    \n  b\n  ''", "\"a\\n  \\nb\\n\""],
  ["''\n    a\n  ${\"x\"}\n''", "(\"  a\\n\" + \"x\" + \"\\n\")"],
  ["''\n  ''${x}''", "(\"\" + \"\\$\" + \"{x}\")"],
  ["''  \n  a''", "\"a\""],
  ["''   x\n  ''", "\"x\\n\""],
];

test("string literals parse as in Nix 2.8", () => {
  assertParseResults(STRINGS);
});

test("unescapeString: escapes, CR and CR LF to LF, an escaped CR kept, stop at NUL", () => {
  const unescape = (raw: string) => unescapeString(raw, 0, raw.length);
  assert.equal(unescape("plain"), "plain");
  assert.equal(unescape("a\\nb\\tc\\rd\\\\e\\$f\\qg"), "a\nb\tc\rd\\e$fqg");
  assert.equal(unescape("a\r\nb\rc"), "a\nb\nc");
  assert.equal(unescape("a\\\r\nb"), "a\r\nb");
  assert.equal(unescape("ab\0cd"), "ab");
  assert.equal(unescapeString("xx\\ny", 2, 4), "\n");
});

const text = (t: string, indented = true): IndentedPart<string> => ({ kind: "text", text: t, indented, pos: 0, end: 0 });
const expr = (e: string): IndentedPart<string> => ({ kind: "expr", expr: e, pos: 0, end: 0 });
const texts = (parts: ReturnType<typeof stripIndentation<string>>) => parts.map((p) => (p.kind === "text" ? p.text : `\${${p.expr}}`));

test("stripIndentation: the least indentation of non-blank lines goes, and a final blank line", () => {
  assert.deepEqual(texts(stripIndentation([text("  a\n    b\n  ")])), ["a\n  b\n"]);
  assert.deepEqual(texts(stripIndentation([text("    a\n  "), expr("x"), text("\n")])), ["  a\n", "${x}", "\n"]);
  // An escape ends a line's indentation, yet its spaces are stripped like plain ones while
  // the line has not lost minIndent spaces yet: Nix 2.8 makes `''⏎  ''\  x⏎   y⏎''` "" + " " + " x⏎ y⏎".
  assert.deepEqual(texts(stripIndentation([text("  "), text(" ", false), text(" x\n   y\n")])), ["", " ", " x\n y\n"]);
  assert.deepEqual(stripIndentation<string>([]), []);
});
