// fromTOML against Nix 2.8 (toml11 3.7): the values and messages are what
// `nix-instantiate --eval --strict -E 'builtins.fromTOML …'` gives for the same documents.
import assert from "node:assert/strict";
import { test } from "node:test";
import { thrownMessage } from "../../../test/support/eval.ts";
import { LocalIO } from "../local-io.ts";
import { printValue } from "../print/value.ts";
import { EvalState } from "../state.ts";
import type { BuiltinFunction } from "./registry.ts";
import { tomlBuiltins } from "./toml.ts";

const state = new EvalState({ io: new LocalIO() });
const fromTOML = tomlBuiltins[0] as BuiltinFunction;
const read = (doc: string) => printValue(fromTOML.impl(state, doc));

const error = (doc: string) => thrownMessage(() => fromTOML.impl(state, doc));

test("integers saturate (decimal, hex, octal) or wrap (binary); floats overflow to DBL_MAX", () => {
  const doc = [
    "a = 9223372036854775808",
    "b = -9223372036854775809",
    "c = 0xFFFFFFFFFFFFFFFF",
    "d = 0o7777777777777777777777",
    `e = 0b${"1".repeat(65)}`,
    "f = 1_000",
    "g = [1e400, -1e400, 1e-400, 3.14_15, -0.0]",
    "h = [inf, -inf, nan, -nan]",
  ].join("\n");
  assert.equal(
    read(doc),
    "{ a = 9223372036854775807; b = -9223372036854775808; c = 9223372036854775807; d = 9223372036854775807; e = -1; f = 1000; g = [ 1.79769e+308 -1.79769e+308 0 3.1415 -0 ]; h = [ inf -inf nan -nan ]; }",
  );
});

test("strings of all four kinds; a NUL ends a value; CRLF stays in multi-line strings", () => {
  const doc = ['a = "x\\u0000y"', "b = 'lit\\eral'", 'c = """\nml\\\n   x"""', "d = '''\nml\r\nx'''", 'e = """two ""quotes"" """', "f = ''''quoted''''"].join("\n");
  assert.equal(read(doc), '{ a = "x"; b = "lit\\\\eral"; c = "mlx"; d = "ml\\r\\nx"; e = "two \\"\\"quotes\\"\\" "; f = "\'quoted\'"; }');
});

test("tables: dotted keys, headers in any order, arrays of tables, inline tables", () => {
  assert.equal(read("a.b.c = 1\na.b.d = 2"), "{ a = { b = { c = 1; d = 2; }; }; }");
  assert.equal(read("[a.c]\nd=2\n[a]\nb=1"), "{ a = { b = 1; c = { d = 2; }; }; }");
  assert.equal(read("[[x]]\na=1\n[[x]]\na=2\n[x.y]\nz=3"), "{ x = [ { a = 1; } { a = 2; y = { z = 3; }; } ]; }");
  assert.equal(read('a = {b = 1, c.d = [1, "two", {e = true}]}'), '{ a = { b = 1; c = { d = [ 1 "two" { e = true; } ]; }; }; }');
});

test("dates and times are recognised and rejected", () => {
  for (const doc of ["a = 1979-05-27", "a = 07:32:00", "a = 1979-05-27T07:32:00.999", "a = 1979-05-27 07:32:00Z", "a = [1979-05-27T00:32:00-07:00]"]) {
    assert.equal(error(doc), "while parsing a TOML string: Dates and times are not supported", doc);
  }
});

test("errors are toml11's messages", () => {
  const prefix = "while parsing a TOML string: [error] ";
  assert.equal(error("a = "), `${prefix}toml::parse_key_value_pair: missing value after key-value separator '='\n --> fromTOML\n   |\n 1 | a = \n   |     ^--- expected value, but got nothing`);
  assert.equal(error("x = 1 2"), `${prefix}toml::parse_table: invalid line format\n --> fromTOML\n   |\n 1 | x = 1 2\n   |       ^--- expected newline, but got '2'.`);
  assert.equal(
    error("[a]\nb=1\n[a]\n"),
    `${prefix}toml::insert_value: table ("a") already exists.\n --> fromTOML\n   |\n 1 | [a]\n   | ~~~ table already exists here\n ...\n 3 | [a]\n   | ~~~ table defined twice`,
  );
  assert.equal(
    error("a.b = 1\na = {c = 2}"),
    `${prefix}toml::insert_value: table ("a") already exists.\n --> fromTOML\n   |\n 1 | a.b = 1\n   | ~~~ table already exists here\n ...\n 2 | a = {c = 2}\n   |     ~~~~~~~ table defined twice`,
  );
  assert.equal(
    error("a = [1,2\n"),
    `${prefix}toml::parse_array: missing array separator \`,\` after a value\n --> fromTOML\n   |\n 1 | a = [1,2\n   |     ^--- array starts here\n ...\n 2 | \n   | ^--- should be \`,\``,
  );
  assert.equal(error("a = 2021-02-29"), `${prefix}toml::parse_date: invalid date: it does not conform RFC3339.\n --> fromTOML\n   |\n 1 | a = 2021-02-29\n   |               ^--- month should be 01-12, day should be 01-28,29,30,31, depending on month/year.`);
});
