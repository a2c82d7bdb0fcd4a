// Which regular expressions compile, and which fail and how, as in Nix 2.8 (libstdc++'s
// std::regex::extended): each case was checked with `builtins.match RE "a"`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compileRegex } from "./compiler.ts";
import { RegexError } from "./nfa.ts";

function outcome(re: string): "ok" | "syntax" | "space" {
  try {
    compileRegex(re);
    return "ok";
  } catch (err) {
    if (err instanceof RegexError) return err.kind;
    throw err;
  }
}

test("extended syntax as libstdc++ accepts it", () => {
  // `]` and `}` are ordinary, `]` first in brackets is a member, a backslash is literal in
  // brackets, `a**` is a loop of a loop, an empty alternative or group matches nothing.
  for (const re of ["a**", "x}", "[]a]", "[^]a]", "[\\]", "[a-]", "[-a]", "a|", "()", "(|a)", "[[:ALPHA:]]", "[[:w:]]", "[[=A=]]", "[[.space.]-a]", "[[.NUL.]-a]", "a^b", "a{0}", "\\.\\[\\(\\{\\|\\^\\$\\*\\+\\?\\\\"]) {
    assert.equal(outcome(re), "ok", re);
  }
});

test("invalid expressions (Nix: invalid regular expression '…')", () => {
  // Escaping an ordinary character is an error (Nix is built with __STRICT_ANSI__), there are
  // no backreferences, and ranges, intervals and classes are checked.
  for (const re of ["\\1", "\\n", "\\]", "\\}", "\\", "(", ")", "*a", "^*", "(*a)", "a|*b", "{", "a{", "a{1", "a{1,", "a{,2}", "a{3,1}", "a{1x}", "[", "[a", "[]", "[^]", "[z-a]", "[a-c-e]", "[[:foo:]]", "[[:alpha]]", "[[:", "[[.0.]]", "[[=hyphen=]-a]", "[[:alpha:]-z]"]) {
    assert.equal(outcome(re), "syntax", re);
  }
});

test("interval counts are C ints: a{4294967297} is a{1}", () => {
  assert.equal(outcome("a{4294967297}"), "ok");
  assert.equal(outcome("a{2147483648}"), "ok");
  assert.equal(outcome("a{0,4294967296}"), "ok");
});

test("the 100000-state limit falls where it does in Nix (memory limit exceeded)", () => {
  for (const [fits, exceeds] of [
    ["a{99993}", "a{99994}"],
    ["(ab){19997}", "(ab){19998}"],
    ["a{1,49997}", "a{1,49998}"],
    ["(a|b){12497,}", "(a|b){12498,}"],
  ]) {
    assert.equal(outcome(fits), "ok", fits);
    assert.equal(outcome(exceeds), "space", exceeds);
  }
  assert.equal(outcome("(a{1000}){99}"), "space");
});

test("bracket ranges compare bytes as signed chars", () => {
  assert.equal(outcome("[\x80-\xff]"), "ok");
  assert.equal(outcome("[\x01-\x7f]"), "ok");
  assert.equal(outcome("[a-\xff]"), "syntax");
  assert.equal(outcome("[\x01-\xff]"), "syntax");
});
