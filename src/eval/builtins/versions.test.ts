// splitVersion, compareVersions and parseDrvName against Nix 2.8 (expected values from
// `nix-instantiate --eval --strict`).
import assert from "node:assert/strict";
import { test } from "node:test";
import { testEvaluator } from "../../../test/support/eval.ts";

const { ev } = testEvaluator();

test("splitVersion: runs of digits or of other characters, separated by . and -", () => {
  assert.equal(ev('builtins.splitVersion "1.2.3pre4-5.x"'), '[ "1" "2" "3" "pre" "4" "5" "x" ]');
  assert.equal(ev('builtins.splitVersion "..-"'), "[ ]");
});

test("compareVersions: numbers, then pre, then words; numbers beyond a C int are words", () => {
  const cases: [string, string, number][] = [
    ["1.0", "1.0pre", 1],
    ["1.99999999999", "1.2", -1],
    ["2.3a", "2.3.1", -1],
    ["1.010", "1.9", 1],
    ["1.0", "1.0.0", -1],
    ["a", "b", -1],
    ["", "1", -1],
    ["1.2", "1.2", 0],
  ];
  for (const [a, b, expected] of cases) assert.equal(ev(`builtins.compareVersions "${a}" "${b}"`), String(expected), `${a} vs ${b}`);
});

test("parseDrvName splits at the first dash not followed by a letter", () => {
  assert.equal(ev('builtins.parseDrvName "nix-0.12pre12876"'), '{ name = "nix"; version = "0.12pre12876"; }');
  assert.equal(ev('builtins.parseDrvName "apache-httpd-2.0.48"'), '{ name = "apache-httpd"; version = "2.0.48"; }');
  assert.equal(ev('builtins.parseDrvName "a-b-"'), '{ name = "a-b-"; version = ""; }');
  assert.equal(ev('builtins.parseDrvName "foo-\xc3\xa9"'), '{ name = "foo"; version = "\xc3\xa9"; }');
});
