// The parse cases of the Nix language conformance suites (../../shared/conformance): every
// parse-okay and parse-fail case that real Nix 2.8 passes behaves as in Nix 2.8, and every
// eval-okay case that Nix 2.8 passes at least parses. Run in-process; the suites' README
// describes the cases and lists.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { addSource } from "../src/eval/position.ts";
import { parseNix } from "../src/eval/syntax/parse.ts";
import { ParseError } from "../src/eval/syntax/parse-error.ts";

const CONFORMANCE = fileURLToPath(new URL("../../shared/conformance/", import.meta.url));
const SUITES = ["nix-lang-2.8", "nix-lang"];

/** Case ids (`lang/parse-okay-1`) Nix 2.8 passes, without the `:xml` variants. */
function expectedCases(suite: string): string[] {
  const ids = readFileSync(`${CONFORMANCE}${suite}/EXPECTED-WITH-NIX-2.8.txt`, "utf8")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "")
    .map((id) => id.replace(/:xml$/, ""));
  return [...new Set(ids)];
}

/** Parses a case as the harness's parse mode does (`nix-instantiate --parse - < FILE`, run in the suite root). */
function parseCase(suite: string, id: string): ParseError | undefined {
  const root = `${CONFORMANCE}${suite}`;
  const path = `${root}/${id}.nix`;
  try {
    parseNix(addSource(path, readFileSync(path, "latin1")), { baseDir: root, homeDir: "/fake-home" });
    return undefined;
  } catch (err) {
    if (err instanceof ParseError) return err;
    throw err;
  }
}

for (const suite of SUITES) {
  const cases = expectedCases(suite);
  const kind = (prefix: string) => cases.filter((id) => id.startsWith(`lang/${prefix}-`));

  test(`${suite}: parse-okay cases parse`, () => {
    const ids = kind("parse-okay");
    assert.ok(ids.length >= 11, `only ${ids.length} parse-okay cases found`);
    for (const id of ids) assert.equal(parseCase(suite, id)?.message, undefined, id);
  });

  test(`${suite}: parse-fail cases fail with a parse error`, () => {
    const ids = kind("parse-fail");
    assert.ok(ids.length >= 13, `only ${ids.length} parse-fail cases found`);
    for (const id of ids) assert.ok(parseCase(suite, id), `${id} parsed`);
  });

  test(`${suite}: eval-okay cases parse`, () => {
    const ids = kind("eval-okay");
    assert.ok(ids.length >= 90, `only ${ids.length} eval-okay cases found`);
    for (const id of ids) assert.equal(parseCase(suite, id)?.message, undefined, id);
  });
}
