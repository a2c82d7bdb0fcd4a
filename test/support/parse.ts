// Parsing in tests: a snippet as the file /test/case.nix, with the result as Nix 2.8 would
// show it: `nix-instantiate --parse` output, or the error message and line:column.
import assert from "node:assert/strict";
import { addSource } from "../../src/eval/position.ts";
import { parseNix } from "../../src/eval/syntax/parse.ts";
import { ParseError } from "../../src/eval/syntax/parse-error.ts";
import { showExpr } from "../../src/eval/syntax/show.ts";

export const TEST_FILE = "/test/case.nix";

/** `nix-instantiate --parse` output for `text`, or `error: MESSAGE @LINE:COL`. */
export function parseResult(text: string, homeDir = "/home/test"): string {
  const source = addSource(TEST_FILE, text);
  try {
    return showExpr(parseNix(source, { homeDir }));
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    const { line, column } = source.lineColumn(err.pos - source.base);
    return `error: ${err.message} @${line}:${column}`;
  }
}

/** Checks `[input, expected parseResult]` pairs (expected values taken from real Nix 2.8). */
export function assertParseResults(cases: readonly [string, string][]): void {
  for (const [input, expected] of cases) assert.equal(parseResult(input), expected, input);
}

/**
 * `nix-instantiate --parse` output made comparable with ours: Nix lists lambda formals and let
 * bindings in the order of its symbol table's memory addresses. Reparsed and printed again,
 * they come out sorted. Where Nix's output is not valid Nix (it prints an `assert` operand
 * without parentheses, and keyword attribute names bare), its words are sorted instead: a
 * signature that still catches every difference in nesting.
 */
export function comparableParseOutput(output: string, homeDir = "/home/test"): string {
  try {
    return showExpr(parseNix(addSource(null, output), { baseDir: "/", homeDir }));
  } catch {
    return `words: ${output.split(/\s+/).sort().join(" ")}`;
  }
}
