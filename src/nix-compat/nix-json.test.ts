import assert from "node:assert/strict";
import { test } from "node:test";
import { formatNixJson, nixJsonString } from "./nix-json.ts";

// Expected texts follow Nix 2.8's libutil/json.cc: only `"`, `\`, \n, \r, \t and other bytes
// below 0x20 are escaped; the pretty form indents two spaces a level.

test("escapes strings as Nix does", () => {
  const input = 'a"b\\c\n\r\t\b\f\x01\x1f\x7f é😀\udcff';
  const expected = '"a\\"b\\\\c\\n\\r\\t\\u0008\\u000c\\u0001\\u001f\x7f é😀\udcff"';
  assert.equal(nixJsonString(input), expected);
  assert.equal(JSON.parse(nixJsonString(input.replace("\udcff", ""))), input.replace("\udcff", ""));
});

test("pretty-prints nested values, keeping the given key order", () => {
  const value = new Map<string, import("./nix-json.ts").NixJson>([
    ["z", "1"],
    ["2", [true, false, null]],
    ["empty", new Map()],
    ["none", []],
    ["nested", new Map([["k", ["v"]]])],
  ]);
  const expected = [
    "{",
    '  "z": "1",',
    '  "2": [',
    "    true,",
    "    false,",
    "    null",
    "  ],",
    '  "empty": {},',
    '  "none": [],',
    '  "nested": {',
    '    "k": [',
    '      "v"',
    "    ]",
    "  }",
    "}",
  ].join("\n");
  assert.equal(formatNixJson(value, true), expected);
  assert.equal(formatNixJson(value), '{"z":"1","2":[true,false,null],"empty":{},"none":[],"nested":{"k":["v"]}}');
  assert.deepEqual(JSON.parse(formatNixJson(value)), JSON.parse(formatNixJson(value, true)));
});
