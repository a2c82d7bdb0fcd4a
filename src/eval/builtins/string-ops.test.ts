// substring, stringLength, concatStringsSep, replaceStrings, baseNameOf and dirOf against
// Nix 2.8: each expected value is what `nix-instantiate --eval --strict` prints.
import assert from "node:assert/strict";
import { test } from "node:test";
import { testEvaluator } from "../../../test/support/eval.ts";

const { ev, error } = testEvaluator();

test("substring: byte offsets in C ints, a negative length means the rest", () => {
  assert.equal(ev('builtins.substring 1 3 "hello"'), '"ell"');
  assert.equal(ev('builtins.substring 3 (-1) "hello"'), '"lo"');
  assert.equal(ev('builtins.substring 10 2 "hello"'), '""');
  assert.equal(ev('builtins.substring 4294967297 2 "hello"'), '"el"');
  assert.equal(ev('builtins.substring 0 4294967298 "hello"'), '"he"');
  assert.equal(ev('builtins.substring 1 2 "h\xc3\xa9llo"'), '"\xc3\xa9"');
  assert.equal(error('builtins.substring (-1) 1 "x"'), "negative start position in 'substring'");
  assert.equal(error('builtins.substring 4294967295 1 "x"'), "negative start position in 'substring'");
});

test("stringLength counts bytes", () => {
  assert.equal(ev('builtins.stringLength "h\xc3\xa9llo"'), "6");
});

test("concatStringsSep", () => {
  assert.equal(ev('builtins.concatStringsSep ", " ["a" "b" "c"]'), '"a, b, c"');
  assert.equal(ev('builtins.concatStringsSep "-" []'), '""');
});

test("replaceStrings: the first pattern that matches wins; an empty one matches everywhere", () => {
  assert.equal(ev('builtins.replaceStrings [""] ["X"] "abc"'), '"XaXbXcX"');
  assert.equal(ev('builtins.replaceStrings ["oo" "a"] ["a" "i"] "foobar"'), '"fabir"');
  assert.equal(ev('builtins.replaceStrings ["a" ""] ["A" "-"] "banana"'), '"-bA-nA-nA-"');
  assert.equal(ev('builtins.replaceStrings ["ab" "a"] ["1" "2"] "aab"'), '"21"');
  assert.equal(ev('builtins.replaceStrings [] [] "x"'), '"x"');
  assert.equal(error('builtins.replaceStrings ["a"] [] "x"'), "'from' and 'to' arguments to 'replaceStrings' have different lengths");
});

test("baseNameOf and dirOf on strings and paths", () => {
  assert.equal(
    ev('[ (baseNameOf "/a/b/") (baseNameOf "/") (baseNameOf "a//") (baseNameOf "") (dirOf "/a/b") (dirOf "a") (dirOf "/a") (dirOf "a/") (dirOf /a/b) (baseNameOf /a/b) (dirOf /.) ]'),
    '[ "b" "" "" "" "/a" "." "/" "a" /a "b" / ]',
  );
});
