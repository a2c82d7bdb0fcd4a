// Matching as Nix 2.8 matches (libstdc++'s depth-first POSIX executor); every expected value
// is what real Nix returns for the same `builtins.match` / `builtins.split` call.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compileRegex } from "./compiler.ts";
import { type MatchPositions, Regex } from "./executor.ts";

type Groups = (string | null)[];

function groups(input: string, m: MatchPositions): Groups {
  const out: Groups = [];
  for (let g = 2; g < m.length; g += 2) out.push(m[g] < 0 ? null : input.slice(m[g], m[g + 1]));
  return out;
}

function match(re: string, input: string): Groups | null {
  const m = new Regex(compileRegex(re)).matchWhole(input);
  return m === null ? null : groups(input, m);
}

/** builtins.split: the text between matches, interleaved with each match's groups. */
function split(re: string, input: string): (string | Groups)[] {
  const out: (string | Groups)[] = [];
  let from = 0;
  for (const m of new Regex(compileRegex(re)).matchAll(input)) {
    out.push(input.slice(from, m[0]), groups(input, m));
    from = m[1];
  }
  out.push(input.slice(from));
  return out;
}

test("a whole-string match takes the first solution found, left branch first", () => {
  assert.deepEqual(match("(a|ab)(c|bcd)(d*)", "abcd"), ["a", "bcd", ""]);
  assert.deepEqual(match("ab|a", "ab"), []);
  assert.deepEqual(match("(a|b)*c", "ababc"), ["b"]);
  assert.deepEqual(match("(a{1,2}){2}", "aaa"), ["a"]);
});

test("a search prefers the longest match at the leftmost position", () => {
  assert.deepEqual(split("(a|ab)", "abc"), ["", ["ab"], "c"]);
  assert.deepEqual(split("(a|ab)(c|bcd)(d*)", "abcd"), ["", ["a", "bcd", ""], ""]);
  assert.deepEqual(split("ab|a", "aab"), ["", [], "", [], ""]);
  assert.deepEqual(split("(a)|(c)", "abc"), ["", ["a", null], "b", [null, "c"], ""]);
  assert.deepEqual(split("([[:space:]]+)", "a  b\tc"), ["a", ["  "], "b", ["\t"], "c"]);
});

test("loops may go round twice without consuming anything", () => {
  assert.deepEqual(match("(a*)+", "aa"), [""]);
  assert.deepEqual(match("(a?)*", "aa"), [""]);
  assert.deepEqual(match("(a*)*", ""), [""]);
  assert.equal(match("(a*)*", "b"), null);
});

test("groups keep what they matched in earlier iterations", () => {
  assert.deepEqual(match("((a)|b)*", "ab"), ["b", "a"]);
});

test("empty matches in split: retried as non-empty at the same place, then one byte on", () => {
  assert.deepEqual(split("a*", "baaac"), ["", [], "b", [], "", [], "c", [], ""]);
  assert.deepEqual(split("", "abc"), ["", [], "a", [], "b", [], "c", [], ""]);
  assert.deepEqual(split("x*|^", "abc"), ["", [], "a", [], "b", [], "c", [], ""]);
  assert.deepEqual(split("(x)?", "axxb"), ["", [null], "a", ["x"], "", ["x"], "", [null], "b", [null], ""]);
  // `^` matches only at the very start.
  assert.deepEqual(split("^|x", "axb"), ["", [], "a", [], "b"]);
});

test("bytes: `.` and negated brackets match newlines, classes are ASCII, ranges compare signed chars", () => {
  assert.deepEqual(match(".*", "a\nb"), []);
  assert.deepEqual(match("[^a]", "\n"), []);
  assert.deepEqual(match(".", "\xff"), []);
  assert.deepEqual(match("[\x80-\xff]+", "\xc3\xa9"), []);
  assert.equal(match("[[:alpha:]]", "\xc3"), null);
  assert.deepEqual(match("[\x01-\x7f]", "a"), []);
  assert.deepEqual(match("[[=a=]]+", "aAa"), []);
});

test("matching stays off the JS stack for long inputs", () => {
  const long = "ab".repeat(200000);
  assert.deepEqual(match("(ab)*", long), ["ab"]);
  assert.equal(split("b", long).length, 400001);
});
