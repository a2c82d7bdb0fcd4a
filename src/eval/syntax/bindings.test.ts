// Attribute sets and lets as Nix 2.8's parser builds them: nested attribute paths, merging,
// duplicate definitions (message and position), and the positions attributes get (what
// `builtins.unsafeGetAttrPos` reports). Expected values are real Nix 2.8.0's.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertParseResults, TEST_FILE } from "../../../test/support/parse.ts";
import { utf8ToBytes } from "../../nix-compat/byte-string.ts";
import { addSource } from "../position.ts";
import type { AttrsExpr, Expr } from "./ast.ts";
import { parseNix } from "./parse.ts";

const BINDINGS: [string, string][] = [
  ["{ inherit \"a${\"b\"}\"; }", "error: dynamic attributes not allowed in inherit @1:11"],
  ["let ${\"a\"} = 1; in a", "(let a = 1; in a)"],
  ["let \"${\"a\"}\" = 1; in 1", "error: dynamic attributes not allowed in let @1:1"],
  ["{ a = 1; a = 2; }", "error: attribute 'a' already defined at /test/case.nix:1:3 @1:10"],
  ["{ a.b = 1; a.b = 2; }", "error: attribute 'a.b' already defined at /test/case.nix:1:3 @1:12"],
  ["{ a = 1; a.b = 2; }", "error: attribute 'a.b' already defined at /test/case.nix:1:3 @1:10"],
  ["{ a.b = 1; a = 2; }", "error: attribute 'a' already defined at /test/case.nix:1:3 @1:12"],
  ["{ a = { b = 1; }; a = { b = 2; }; }", "error: attribute 'b' already defined at /test/case.nix:1:25 @1:9"],
  ["{ inherit a; a = 1; }", "error: attribute 'a' already defined at /test/case.nix:1:10 @1:14"],
  ["x: { inherit x x; }", "error: attribute 'x' already defined at /test/case.nix:1:13 @1:13"],
  ["x: { inherit x; x.y = 1; }", "error: attribute 'x.y' already defined at /test/case.nix:1:13 @1:17"],
  ["{ a.\"${\"b\"}\".c = 1; a.b.c = 2; }", "{ a = { b = { c = 2; }; \"${(\"b\")}\" = { c = 1; }; }; }"],
  ["{ ${\"a\"} = 1; a = 2; }", "error: attribute 'a' already defined at /test/case.nix:1:3 @1:15"],
  ["{ \"a b\" = 1; \"a b\" = 2; }", "error: attribute '\"a b\"' already defined at /test/case.nix:1:3 @1:14"],
  ["{ \"if\" = 1; \"if\" = 2; }", "error: attribute '\"if\"' already defined at /test/case.nix:1:3 @1:13"],
  ["let a = 1; a = 2; in a", "error: attribute 'a' already defined at /test/case.nix:1:5 @1:12"],
  ["let a.b = 1; a.c = 2; a.b = 3; in a", "error: attribute 'a.b' already defined at /test/case.nix:1:5 @1:23"],
];

test("attribute paths, merges and duplicates as in Nix 2.8", () => {
  assertParseResults(BINDINGS);
});

/** `builtins.unsafeGetAttrPos` of each path in real Nix 2.8 ([line, column]). */
const POSITIONS: { expr: string; paths: string[][]; pos: [number, number][] }[] = [
  { expr: "{ a = 1; }", paths: [["a"]], pos: [[1, 3]] },
  { expr: "{\n  x.y.z = 1;\n}", paths: [["x"], ["x", "y"], ["x", "y", "z"]], pos: [[2, 3], [2, 3], [2, 3]] },
  { expr: "let a = 1; b = 2; in { inherit a  b; }", paths: [["a"], ["b"]], pos: [[1, 31], [1, 31]] },
  { expr: "let s = { b = 1; c = 2; }; in { inherit (s)   b c; }", paths: [["b"], ["c"]], pos: [[1, 44], [1, 44]] },
  { expr: "{ x = { y = 1; }; x.z = 2; }", paths: [["x"], ["x", "y"], ["x", "z"]], pos: [[1, 3], [1, 9], [1, 19]] },
  { expr: "{ x.z = 2; x = { y = 1; }; }", paths: [["x"], ["x", "y"], ["x", "z"]], pos: [[1, 3], [1, 18], [1, 3]] },
  { expr: "{\r\n\ta = 1;\r\n}", paths: [["a"]], pos: [[2, 2]] },
  { expr: "{ \"éé\" = 1; b = 2; }", paths: [["b"]], pos: [[1, 15]] },
  { expr: "rec {\n  a = 1;\n\n    \"b c\" = a;\n}", paths: [["a"], ["b c"]], pos: [[2, 3], [4, 5]] },
  { expr: "{ a.b = 1; a.c = 2; }", paths: [["a"], ["a", "c"]], pos: [[1, 3], [1, 12]] },
  { expr: "{ ${\"a\"} = 1; }", paths: [["a"]], pos: [[1, 3]] },
  { expr: "{ /* c */ a = 1; }", paths: [["a"]], pos: [[1, 11]] },
];

/** The set an expression is, looking through `let … in`. */
function setOf(e: Expr): AttrsExpr {
  if (e.kind === "Let") return setOf(e.body);
  assert.equal(e.kind, "Attrs");
  return e;
}

test("attributes are positioned where Nix 2.8 says", () => {
  for (const { expr, paths, pos } of POSITIONS) {
    const source = addSource(TEST_FILE, utf8ToBytes(expr));
    const root = setOf(parseNix(source));
    paths.forEach((path, i) => {
      let set = root;
      for (const name of path.slice(0, -1)) set = setOf(set.attrs.find((def) => def.name === name)!.value);
      const def = set.attrs.find((d) => d.name === path[path.length - 1]);
      assert.ok(def, `${expr}: ${path.join(".")}`);
      const { line, column } = source.lineColumn(def.pos - source.base);
      assert.deepEqual([line, column], pos[i], `${expr}: ${path.join(".")}`);
    });
  }
});

test("a function is named after the attribute it is bound to, and so are the functions it returns", () => {
  const set = setOf(parseNix(addSource(TEST_FILE, "{ f = x: y: x; g = (z: z); h = [ (w: w) ]; }")));
  const names = set.attrs.map((def) => {
    const value = def.value;
    if (value.kind !== "Lambda") return [def.name];
    return [def.name, value.name, value.body.kind === "Lambda" ? value.body.name : "-"];
  });
  assert.deepEqual(names, [["f", "f", "f"], ["g", "g", "-"], ["h"]]);
});
