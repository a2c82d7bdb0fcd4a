// fromJSON's reader against Nix 2.8: values and error messages are what
// `nix-instantiate --eval --strict -E 'builtins.fromJSON …'` gives for the same bytes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { thrownMessage } from "../../../test/support/eval.ts";
import { printValue } from "../print/value.ts";
import { parseJson } from "./json.ts";

const read = (text: string) => printValue(parseJson(text));

const error = (text: string) => thrownMessage(() => parseJson(text));

test("integers: uint64 and int64 as Nix stores them, larger ones as floats", () => {
  assert.equal(read("[9007199254740993, 9223372036854775807, 9223372036854775808, 18446744073709551615]"), "[ 9007199254740993 9223372036854775807 -9223372036854775808 -1 ]");
  assert.equal(read("[18446744073709551616, -9223372036854775808, -9223372036854775809, -0]"), "[ 1.84467e+19 -9223372036854775808 -9.22337e+18 0 ]");
  assert.equal(read("[1.5, 1e3, 2E-2, -0.0, 1e-400]"), "[ 1.5 1000 0.02 -0 0 ]");
});

test("strings: escapes become UTF-8, a NUL ends a value but not a name, the last of equal keys wins", () => {
  assert.equal(read('"\\u00e9\\ud83d\\ude00\\/\\b\\f"'), '"\xc3\xa9\xf0\x9f\x98\x80/\b\f"');
  assert.equal(read('"a\\u0000b"'), '"a"');
  assert.equal(read('{"a\\u0000b": 1, "x": 1, "x": 2}'), '{ "a\0b" = 1; x = 2; }');
  assert.equal(read('\xef\xbb\xbf {"a": {"b": [true, false, null]}}'), "{ a = { b = [ true false null ]; }; }");
});

test("syntax errors name the line, column, expectation and what was read", () => {
  const cases: [string, string][] = [
    ["", "parse error at line 1, column 1: syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal"],
    ["[1, x]", "parse error at line 1, column 5: syntax error while parsing value - invalid literal; last read: '1, x'"],
    ["[1,\n x]", "parse error at line 2, column 2: syntax error while parsing value - invalid literal; last read: '1,<U+000A> x'"],
    ['{"a" 1}', "parse error at line 1, column 6: syntax error while parsing object separator - unexpected number literal; expected ':'"],
    ['{"a":1,}', "parse error at line 1, column 8: syntax error while parsing object key - unexpected '}'; expected string literal"],
    ['{"a":1 "b"}', "parse error at line 1, column 10: syntax error while parsing object - unexpected string literal; expected '}'"],
    ["[1 2]", "parse error at line 1, column 4: syntax error while parsing array - unexpected number literal; expected ']'"],
    ["[1,2]]", "parse error at line 1, column 6: syntax error while parsing value - unexpected ']'; expected end of input"],
    ["01", "parse error at line 1, column 2: syntax error while parsing value - unexpected number literal; expected end of input"],
    ["1.", "parse error at line 1, column 3: syntax error while parsing value - invalid number; expected digit after '.'; last read: '1.'"],
    ["1e+", "parse error at line 1, column 4: syntax error while parsing value - invalid number; expected digit after exponent sign; last read: '1e+'"],
    ['"\\u12"', "parse error at line 1, column 6: syntax error while parsing value - invalid string: '\\u' must be followed by 4 hex digits; last read: '\"\\u12\"'"],
    ['"\\ud800"', "parse error at line 1, column 8: syntax error while parsing value - invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF; last read: '\"\\ud800\"'"],
    ['"a\x01b"', "parse error at line 1, column 3: syntax error while parsing value - invalid string: control character U+0001 (SOH) must be escaped to \\u0001; last read: '\"a<U+0001>'"],
    ['"\xc3"', "parse error at line 1, column 3: syntax error while parsing value - invalid string: ill-formed UTF-8 byte; last read: '\"\xc3\"'"],
    ['"\xed\xa0\x80"', "parse error at line 1, column 3: syntax error while parsing value - invalid string: ill-formed UTF-8 byte; last read: '\"\xed\xa0'"],
    ["\xef\xbb[1]", "parse error at line 1, column 3: syntax error while parsing value - invalid BOM; must be 0xEF 0xBB 0xBF if given; last read: '\xef\xbb['"],
    ["nul  ", "parse error at line 1, column 4: syntax error while parsing value - invalid literal; last read: 'nul '"],
  ];
  for (const [text, message] of cases) assert.equal(error(text), `[json.exception.parse_error.101] ${message}`, JSON.stringify(text));
});

test("floats that overflow are out of range", () => {
  assert.equal(error("[1e999]"), "[json.exception.out_of_range.406] number overflow parsing '1e999'");
});
