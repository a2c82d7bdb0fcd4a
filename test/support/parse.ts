// Parsing in tests: a snippet as the file /test/case.nix, with the result as Nix 2.8 would
// show it: `nix-instantiate --parse` output, or the error message and line:column.
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
