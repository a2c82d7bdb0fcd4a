// The evaluator against real Nix 2.8: every case is run through `nix-instantiate --eval` and
// through our implementation of it (in-process, the pure core without store builtins), and
// stdout, the exit status and the first line of the error must agree. The cases cover the
// language (scoping, laziness, attribute sets, functions, strings, numbers, comparison),
// printing with and without --strict (<CODE>, «repeated», value identity), --json, --xml,
// -A, --arg/--argstr, and a few hundred random expressions from the parser's generator.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type EvalRequest, instantiateEval } from "../../src/eval/instantiate.ts";
import { evaluateInWorker } from "../../src/eval/run-in-worker.ts";
import { ExpressionGenerator } from "../support/nix-expression-generator.ts";
import { SeededRandom } from "../support/seeded-random.ts";

const dir = mkdtempSync(join(tmpdir(), "tvix-eval-"));

interface Outcome {
  stdout: string;
  ok: boolean;
  /** The first line of stderr ("error: …"). */
  error: string;
}

/** nix-instantiate --eval FLAGS -E EXPR, run from `dir`. */
function nixEval(expr: string, flags: readonly string[]): Outcome {
  const result = spawnSync("nix-instantiate", ["--eval", ...flags, "-E", expr], { cwd: dir, encoding: "latin1", env: { ...process.env, NIX_PATH: "" } });
  return { stdout: result.stdout, ok: result.status === 0, error: result.status === 0 ? "" : result.stderr.split("\n")[0] };
}

/** The request `tvix eval FLAGS -E EXPR` makes (the flags this test uses). */
function request(expr: string, flags: readonly string[]): EvalRequest {
  const request: EvalRequest = {
    inputs: [expr],
    expressions: true,
    attrPaths: [],
    autoArgs: [],
    include: [],
    strict: false,
    output: "plain",
    location: true,
    showTrace: false,
    cwd: dir,
    nixPath: "",
    homeDir: process.env.HOME,
  };
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i];
    if (flag === "--strict") request.strict = true;
    else if (flag === "--json") request.output = "json";
    else if (flag === "--xml") request.output = "xml";
    else if (flag === "--no-location") request.location = false;
    else if (flag === "-A") request.attrPaths.push(flags[++i]);
    else if (flag === "--arg" || flag === "--argstr") {
      request.autoArgs.push({ name: flags[i + 1], kind: flag === "--arg" ? "expr" : "string", value: flags[i + 2] });
      i += 2;
    } else throw new Error(`flag ${flag} not handled by the test`);
  }
  return request;
}

/** The same through instantiateEval, in-process. */
function ourEval(expr: string, flags: readonly string[]): Outcome {
  const result = instantiateEval(request(expr, flags));
  return { stdout: result.stdout, ok: result.exitCode === 0, error: result.exitCode === 0 ? "" : result.stderr.split("\n")[0] };
}

function check(expr: string, flags: readonly string[] = ["--strict"]): void {
  assert.deepEqual(ourEval(expr, flags), nixEval(expr, flags), `${flags.join(" ")} -E ${expr}`);
}

const LANGUAGE = [
  // Numbers: 64-bit wrap-around, division, floats and their printing.
  "[ (9223372036854775807 + 1) (9223372036854775807 * 2) (0 - 9223372036854775807 - 2) (7 / (0 - 2)) ]",
  "1 / 0",
  "1.0 / 0",
  "(0 - 9223372036854775807 - 1) / (0 - 1)",
  "[ 1.0 2.5 16.03125 1234565.0 0.0001 0.00001 123456.0 1234567.0 (1.0e308 * 10.0) (1 / 3.0) 1.0e22 ]",
  '[ (1 + 2.5) (2.5 + 1) (1 - 2.5) (2 * 1.5) (2 / 4) (2 / 4.0) (builtins.add 1 2) ("a" + "b") ]',
  '"${toString 1.5} ${toString 0.0000015} ${toString 1.0e22}"',
  "1 + true",
  "1.5 + null",
  // Comparison and equality.
  '[ (1 == 1.0) (1 < 1.5) (2.5 > 2) ("abc" < "abd") ([ 1 2 ] < [ 1 3 ]) ([ 1 ] < [ 1 0 ]) (./a < ./b) (null == null) ({ } == { }) ]',
  "1 < \"a\"",
  "{ } < { }",
  "let f = x: x; in [ (f == f) ([ f ] == [ f ]) ({ a = f; } == { a = f; }) ([ (x: x) ] == [ (x: x) ]) ]",
  "let s = { f = x: x; }; in [ ([ s.f ] == [ s.f ]) ]",
  'let d = { type = "derivation"; outPath = "x"; a = 1; }; in [ (d == d // { a = 2; }) ({ a = 1; outPath = "x"; } == { a = 2; outPath = "x"; }) ]',
  // Scoping: let, rec, with, inherit, shadowing of desugared operators.
  "let x = 1; y = x + 1; in [ x y ]",
  "rec { a = 1; b = a + 1; c = { inherit a b; }; }",
  "let a.b = 1; a.c = 2; in a",
  "{ a = { b = 1; }; a.c = 2; x.y.z = 3; x.y.w = 4; }",
  "with { x = 1; }; with { x = 2; }; x",
  "let x = 1; in with { x = 2; }; x",
  "with { true = 1; }; true",
  "let __sub = a: b: 42; in 1 - 2",
  "with { __sub = a: b: 42; }; 1 - 2",
  "let inherit ({ a = 1; b = 2; }) a b; in a + b",
  "rec { __overrides = { a = 2; c = 3; }; a = 1; b = a; }",
  "let { x = 1; body = x; }",
  "let x = x; in x",
  "with 1; x",
  // A `with` set is evaluated when a variable is first looked up through it, not before.
  "let lib = { a = 1; }; f = { x }: 1; in with lib; f { x = missing; }",
  "with { a = 1; }; { inherit b; }.c or 2",
  // Attribute sets.
  '{ ${"a" + "b"} = 1; ${null} = 2; "c d" = 3; }',
  '{ a = 1; ${"a"} = 2; }',
  "{ a = 1; }.b or 5",
  "{ a = 1; }.b",
  "(1).a",
  "[ ({ a = 1; } ? a) ({ a = 1; } ? a.b) (1 ? a) ({ a.b = 1; } ? a.b) ]",
  '{ a = 1; } // { b = 2; a = 3; } // { }',
  "{ } // 1",
  // Functions.
  "({ a ? b, b ? 2 }: [ a b ]) { }",
  "(args@{ a, ... }: args) { a = 1; b = 2; }",
  "({ a, ... } @ args: args.b) { a = 1; b = 2; }",
  "({ a }: a) { a = 1; b = 2; }",
  "({ b, a }: a) { }",
  "({ a }: a) 1",
  "1 2",
  '{ __functor = self: x: x + self.n; n = 1; } 2',
  // Control.
  "assert 1 == 2; 3",
  "if 1 then 2 else 3",
  "!1",
  "true -> 1",
  "[ (true -> false) (false -> 1) (true && false) (false || true) ]",
  // Strings and paths.
  '[ "a\\"b\\\\c\\nd\\re\\tf\\${g}h" "$" "$${" "x$" ]',
  "''\n  a\n   b\n  ''",
  "''a''${'''}b''\\nc''",
  '"${{ outPath = "/p"; }}"',
  '{ __toString = s: "x"; } + ""',
  '"${1}"',
  "./a + \"/b\"",
  "./a + ./b",
  './. + "${{ outPath = "x"; }}"',
  "[ ./a/../b ~/x /a/./b// ]",
  '"x" + ./a',
  "__curPos",
  'builtins.unsafeGetAttrPos "b" { a = 1; b = 2; }',
  // Laziness and errors.
  'builtins.tryEval (throw "x")',
  "builtins.tryEval (assert false; 1)",
  'builtins.tryEval (abort "x")',
  "builtins.tryEval (1 + true)",
  'let x = throw "a"; in [ (builtins.tryEval x).success (builtins.tryEval x).success ]',
  'builtins.seq (throw "x") 1',
  '{ a = throw "a"; b = 1; }.b',
  'builtins.deepSeq { a = [ (throw "deep") ]; } 1',
  // Builtins of the core.
  "[ (builtins.typeOf 1) (builtins.typeOf 1.0) (builtins.typeOf \"\") (builtins.typeOf ./.) (builtins.typeOf null) (builtins.typeOf { }) (builtins.typeOf [ ]) (builtins.typeOf (x: x)) (builtins.typeOf builtins.add) (builtins.typeOf (builtins.add 1)) ]",
  "builtins.elemAt [ 1 2 ] 4294967296",
  "builtins.elemAt [ 1 2 ] 2",
  "builtins.head [ ]",
  "builtins.tail [ ]",
  "builtins.genList (x: x * x) 5",
  "builtins.genList (x: x) (0 - 1)",
  'toString [ 1 [ ] "a" null true false 2.5 [ [ ] ] ./a ]',
  "toString { }",
  'builtins.listToAttrs [ { name = "a"; value = 1; } { name = "a"; value = 2; } { name = "b"; value = 3; } ]',
  'builtins.removeAttrs { a = 1; b = 2; } [ "a" "c" ]',
  "builtins.foldl' (a: b: a + b) 0 [ 1 2 3 ]",
  "builtins.filter (x: x > 1) [ 1 2 3 ]",
  "builtins.map (x: x + 1) [ 1 2 ]",
  "builtins.elem 2 [ 1 2 ]",
  "builtins.concatLists [ [ 1 ] [ ] [ 2 3 ] ]",
  'builtins.getAttr "a" { a = 1; }',
  'builtins.getAttr "b" { a = 1; }',
  'builtins.hasAttr "a" { a = 1; }',
  "builtins.attrNames { b = 1; a = 2; }",
  "builtins.attrValues { b = 1; a = 2; }",
  "builtins.mapAttrs (n: v: n + toString v) { a = 1; b = 2; }",
  "builtins.sort builtins.lessThan [ 3 1 2 ]",
  "builtins.sort (a: b: a > b) [ 3 1 2 ]",
  'builtins.groupBy (x: if x > 1 then "big" else "small") [ 1 2 3 ]',
  "builtins.partition (x: x > 1) [ 1 2 3 ]",
  "builtins.functionArgs ({ a, b ? 1 }: a)",
  "builtins.zipAttrsWith (n: vs: vs) [ { a = 1; } { a = 2; b = 3; } ]",
  "builtins.intersectAttrs { a = 1; } { a = 2; b = 3; }",
  "[ (builtins.bitAnd 12 10) (builtins.bitOr 12 10) (builtins.bitXor 12 10) (builtins.bitAnd (0 - 1) 9223372036854775807) ]",
  "[ (builtins.floor 2.5) (builtins.ceil 2.5) (builtins.floor (0.0 - 2.5)) (builtins.ceil 1.0e30) (builtins.floor 3) ]",
  "builtins.genericClosure { startSet = [ { key = 5; } ]; operator = item: [ { key = if item.key / 2 * 2 == item.key then item.key / 2 else 3 * item.key + 1; } ]; }",
  'builtins.genericClosure { startSet = [ { key = 1; } { key = "a"; } ]; operator = x: [ ]; }',
  "builtins.genericClosure { startSet = [ { key = 1; } { key = 1.0; } { key = 0; } ]; operator = x: [ ]; }",
  'builtins.addErrorContext "ctx" (throw "x")',
  '[ (builtins.getEnv "HOME") (builtins.getEnv "TVIX_SURELY_UNSET") (builtins.toPath "/a/../b") (builtins.pathExists /nonexistent) (builtins.pathExists ./.) ]',
  "builtins.readFile /nonexistent",
  "builtins.readDir /nonexistent",
];

/** Printing without --strict shows what is evaluated already: <CODE> for thunks. */
const LAZY_PRINTING = [
  '{ a = 1; b = "x"; c = ./foo; d = 1.5; e = "${"a"}"; f = null; g = true; h = x: x; i = [ ]; j = { }; k = 1 + 1; }',
  "[ (x: x) builtins.head (builtins.add 1) ]",
  "let x = 1 + 1; in builtins.seq x [ x ]",
  "let x = { a = 1; }; in [ x x ]",
  "let x = [ 1 ]; in [ x x (builtins.seq 1 x) ]",
  "let x = [ 1 2 3 ]; in [ x x (builtins.seq 1 x) ]",
  "let x = [ 1 2 ]; in [ x (builtins.seq 1 x) ]",
  "builtins.map (x: x) [ 1 ]",
  "let a = { b = 1; }; in builtins.seq a.b a",
  "x: x",
  "{ x ? 1 }: x",
];

const OUTPUT_MODES: [string, string[]][] = [
  ['{ a = [ 1 2.5 "q\\"\\\\\\n\\r\\t" null true ]; b = { __toString = self: "ts"; }; c = { outPath = "/out"; x = 1; }; d = 16.03125; }', ["--json", "--strict"]],
  ["[ (1 + 1) ]", ["--json"]],
  ["[ (x: x) ]", ["--json", "--strict"]],
  ['"\\u0001é"', ["--json"]],
  ['{ a = [ 1 2.5 "q\\"<>&\\n" null true ]; f = { x, y ? 1, ... } @ args: x; g = x: x; h = builtins.add; e = [ ]; drv = { type = "derivation"; drvPath = "/d.drv"; outPath = "/o"; n = 1; }; drv2 = { type = "derivation"; drvPath = "/d.drv"; outPath = "/o"; }; }', ["--xml", "--strict"]],
  ["{ a = 1; f = x: x; }", ["--xml", "--strict"]],
  ["{ a = 1; f = x: x; }", ["--xml", "--strict", "--no-location"]],
  ["{ a = 1 + 1; }", ["--xml"]],
  ["{ a = { b = [ 10 20 ]; }; }", ["--strict", "-A", "a.b.1"]],
  ["{ a = 1; }", ["--strict", "-A", "b"]],
  ["[ 1 ]", ["--strict", "-A", "3"]],
  ["{ x ? 1 }: { a = x; }", ["--strict", "-A", "a"]],
  ["{ x ? 1 }: x", ["--strict", "--arg", "x", "2 + 3"]],
  ["{ x }: x", ["--strict", "--argstr", "x", "s"]],
  ["{ x }: x", ["--strict", "--arg", "y", "1"]],
  ["{ x, ... } @ args: args", ["--strict", "--arg", "y", "1", "--arg", "x", "2"]],
  ["{ x ? 1 }: x", ["--strict"]],
];

describe("evaluation against nix-instantiate --eval", () => {
  it("language cases (--strict)", () => {
    for (const expr of LANGUAGE) check(expr);
  });
  it("lazy printing", () => {
    for (const expr of LAZY_PRINTING) check(expr, []);
  });
  it("--json, --xml, -A, --arg, --argstr", () => {
    for (const [expr, flags] of OUTPUT_MODES) check(expr, flags);
  });
  it("deep recursion, in the evaluation worker", async () => {
    // Deeper than Nix 2.8 manages (about 70000 here), well within the worker's stack.
    const expr = "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 60000";
    const result = await evaluateInWorker(request(expr, ["--strict"]));
    assert.deepEqual(result, { stdout: nixEval(expr, ["--strict"]).stdout, stderr: "", exitCode: 0 });
    const overflow = await evaluateInWorker(request("(x: x x) (x: x x)", ["--strict"]));
    assert.deepEqual(overflow, { stdout: "", stderr: "error: stack overflow (possible infinite recursion)\n", exitCode: 1 });
  });
  it("a file and relative paths in it", () => {
    writeFileSync(join(dir, "f.nix"), "{ p = ./x; q = __curPos; r = import ./g.nix; }");
    writeFileSync(join(dir, "g.nix"), "{ s = 1; }");
    check(`import ${join(dir, "f.nix")}`);
    check(`[ (builtins.readFile ${join(dir, "g.nix")}) (builtins.hashFile "sha256" ${join(dir, "g.nix")}) (builtins.readDir ${dir}) ]`);
  });
  it("imports through symlinks: only a symlink named last is followed, lexically", () => {
    // overlays -> ../overlays: `../lib` in overlays/overlay.nix means sub/lib, as its author saw it.
    mkdirSync(join(dir, "links/sub/lib"), { recursive: true });
    mkdirSync(join(dir, "links/overlays"), { recursive: true });
    writeFileSync(join(dir, "links/sub/lib/default.nix"), '"sub/lib"');
    writeFileSync(join(dir, "links/overlays/overlay.nix"), "import ../lib");
    symlinkSync("../overlays", join(dir, "links/sub/overlays"));
    symlinkSync("sub/overlays/overlay.nix", join(dir, "links/entry.nix"));
    symlinkSync("sub/lib", join(dir, "links/libdir"));
    check(`import ${join(dir, "links/sub/overlays/overlay.nix")}`);
    check(`[ (import ${join(dir, "links/entry.nix")}) (import ${join(dir, "links/libdir")}) ]`);
  });
  it("random expressions from the parser's generator", () => {
    const generator = new ExpressionGenerator(new SeededRandom(2024));
    let compared = 0;
    for (let n = 0; n < 300; n++) {
      const expr = `(${generator.valid()}) 1 "s" { x = 2; a = 3; }`;
      const nix = nixEval(expr, ["--strict"]);
      // `builtins` printed whole shows the time; leave such cases out.
      if (nix.stdout.includes("currentTime")) continue;
      const ours = ourEval(expr, ["--strict"]);
      // Which error --strict meets first depends on Nix's attribute order in memory; the
      // outcome and any output must agree.
      assert.deepEqual({ ok: ours.ok, stdout: ours.stdout }, { ok: nix.ok, stdout: nix.stdout }, expr);
      compared++;
    }
    assert.ok(compared > 250);
  });
});
