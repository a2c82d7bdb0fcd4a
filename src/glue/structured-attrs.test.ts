// The structured attrs files against what a real Nix 2.8 sandboxed build (nix-build --option
// sandbox true) wrote into its build directory for the derivations in testdata/.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { decodeBytes } from "../nix-compat/byte-string.ts";
import { parseAterm } from "../nix-compat/derivation/aterm-parse.ts";
import { attrsJson, attrsSh, parseJson, structuredAttrs, StructuredAttrsError } from "./structured-attrs.ts";

const testdata = (name: string): string => decodeBytes(readFileSync(new URL(`testdata/${name}`, import.meta.url)));

for (const name of ["structured-attrs", "structured-attrs-numbers"]) {
  test(`${name}: .attrs.json and .attrs.sh as Nix 2.8 wrote them`, () => {
    const drv = parseAterm(readFileSync(new URL(`testdata/${name}.drv`, import.meta.url)));
    const outputs = new Map([...drv.outputs].map(([output, o]) => [output, o.kind === "inputAddressed" ? o.path : ""]));
    const attrs = structuredAttrs(drv.env.get("__json")!, outputs);
    assert.equal(attrsJson(attrs), testdata(`${name}.attrs.json`));
    assert.equal(attrsSh(attrs), testdata(`${name}.attrs.sh`));
  });
}

test("JSON: \\u escapes become UTF-8 bytes, big integers stay exact, bad input is a clear error", () => {
  assert.equal(parseJson('"\\u00e9\\ud83d\\ude00"'), "\xc3\xa9\xf0\x9f\x98\x80");
  assert.deepEqual(parseJson("[18446744073709551615, 18446744073709551616]"), [{ int: 18446744073709551615n }, { float: 18446744073709551616 }]);
  assert.throws(() => parseJson('{"a":1'), StructuredAttrsError);
  assert.throws(() => parseJson("[1] x"), /trailing characters/);
  assert.throws(() => structuredAttrs("[]", new Map()), /not a JSON object/);
});
