// TOML documents read as toml11 3.7 (the parser vendored in Nix 2.8) reads them: the same
// accepted syntax, the same values (decimal, hex and octal integers saturate at the int64
// limits, binary ones wrap; floats that overflow become ±DBL_MAX; strings are checked for
// UTF-8 but keep "\r\n" as written), the same rules against redefining tables (which toml11
// decides by looking at the text each table was defined by, so values here carry that text's
// region too) and the same error messages.
//
// The structure follows toml11's parser function by function, because which error comes
// first, and what it says, depends on the order in which it tries things.
import { formatUnderline, Loc, locationOf, regionOf, regionText, showChar, type Region, type SourceLocation } from "./toml-diagnostics.ts";
import * as lex from "./toml-lexer.ts";

export class TomlSyntaxError extends Error {
  override name = "TomlSyntaxError";
}

export type DateType = "offset_datetime" | "local_datetime" | "local_date" | "local_time";

export type Table = Map<string, TomlValue>;

/** A value and the region of text it was defined by (changed when tables are merged). */
export type TomlValue = { region: Region | null } & (
  | { type: "boolean"; data: boolean }
  | { type: "integer"; data: bigint }
  | { type: "floating"; data: number }
  | { type: "string"; data: string }
  | { type: DateType; data: null }
  | { type: "array"; data: TomlValue[] }
  | { type: "table"; data: Table }
);

type Result<T> = { ok: true; value: T } | { ok: false; error: string };
interface Parsed<T> {
  value: T;
  region: Region;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const DBL_MAX = Number.MAX_VALUE;

function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

function err<T>(error: string): Result<T> {
  return { ok: false, error };
}

function fail(message: string, places: readonly [SourceLocation, string][], hints?: readonly string[]): TomlSyntaxError {
  return new TomlSyntaxError(formatUnderline(message, places, hints));
}

/** Runs a lexer at `loc`, advancing it and returning the region on a match. */
function token(loc: Loc, lexer: lex.Lexer): Region | null {
  const end = lexer(loc.src, loc.pos);
  if (end < 0) return null;
  const first = loc.pos;
  loc.pos = end;
  return regionOf(loc, first);
}

/** `text` as a C++ stream reads an int64 (no trailing garbage possible here): saturating. */
function saturated(value: bigint): bigint {
  return value > INT64_MAX ? INT64_MAX : value < INT64_MIN ? INT64_MIN : value;
}

function parseBoolean(loc: Loc): Result<Parsed<boolean>> {
  const t = token(loc, lex.boolean);
  if (t !== null) return ok({ value: regionText(t) === "true", region: t });
  return err(formatUnderline("toml::parse_boolean: ", [[locationOf(loc), "the next token is not a boolean"]]));
}

function parsePrefixedInteger(loc: Loc, lexer: lex.Lexer, name: string, convert: (digits: string) => bigint): Result<Parsed<bigint>> {
  const t = token(loc, lexer);
  if (t !== null) return ok({ value: convert(regionText(t).slice(2).replaceAll("_", "")), region: t });
  return err(formatUnderline(name, [[locationOf(loc), "the next token is not an integer"]]));
}

function parseInteger(loc: Loc): Result<Parsed<bigint>> {
  const first = loc.pos;
  if (loc.peek() === "0") {
    const second = loc.src.charAt(first + 1);
    if (second === "") {
      loc.pos++;
      return ok({ value: 0n, region: regionOf(loc, first) });
    }
    // Binary digits are added up in an int64 that overflows; octal and hex are read by a stream.
    if (second === "b") return parsePrefixedInteger(loc, lex.binInt, "toml::parse_binary_integer:", (d) => BigInt.asIntN(64, BigInt(`0b${d}`)));
    if (second === "o") return parsePrefixedInteger(loc, lex.octInt, "toml::parse_octal_integer:", (d) => saturated(BigInt(`0o${d}`)));
    if (second === "x") return parsePrefixedInteger(loc, lex.hexInt, "toml::parse_hexadecimal_integer", (d) => saturated(BigInt(`0x${d}`)));
    if (second >= "0" && second <= "9") return err(formatUnderline("toml::parse_integer: leading zero in an Integer is not allowed.", [[locationOf(loc), "leading zero"]]));
    if (/[A-Za-z]/.test(second)) return err(formatUnderline("toml::parse_integer: unknown integer prefix appeared.", [[locationOf(loc), "none of 0x, 0o, 0b"]]));
  }
  const t = token(loc, lex.decInt);
  if (t !== null) return ok({ value: saturated(BigInt(regionText(t).replaceAll("_", ""))), region: t });
  return err(formatUnderline("toml::parse_integer: ", [[locationOf(loc), "the next token is not an integer"]]));
}

/** A quiet NaN with the sign bit set (toml11's `-nan`). */
function negativeNaN(): number {
  return new Float64Array(new BigUint64Array([0xfff8000000000000n]).buffer)[0];
}

function parseFloating(loc: Loc): Result<Parsed<number>> {
  const t = token(loc, lex.float);
  if (t === null) return err(formatUnderline("toml::parse_floating: ", [[locationOf(loc), "the next token is not a float"]]));
  const text = regionText(t);
  let value: number;
  if (text === "inf" || text === "+inf") value = Infinity;
  else if (text === "-inf") value = -Infinity;
  else if (text === "nan" || text === "+nan") value = NaN;
  else if (text === "-nan") value = negativeNaN();
  else {
    // A stream that overflows yields the largest finite double.
    value = Number(text.replaceAll("_", ""));
    if (value === Infinity) value = DBL_MAX;
    else if (value === -Infinity) value = -DBL_MAX;
  }
  return ok({ value, region: t });
}

/** The UTF-8 bytes of the code point in an escape's region (`uXXXX` or `UXXXXXXXX`). */
function readUtf8Codepoint(escape: Region, loc: Loc): string {
  const cp = parseInt(regionText(escape).slice(1), 16);
  const bytes = (...b: number[]) => String.fromCharCode(...b);
  if (cp < 0x80) return bytes(cp);
  if (cp < 0x800) return bytes(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  if (cp < 0x10000) {
    if (cp >= 0xd800 && cp <= 0xdfff) {
      throw fail("toml::read_utf8_codepoint: codepoints in the range [0xD800, 0xDFFF] are not valid UTF-8.", [[locationOf(loc), "not a valid UTF-8 codepoint"]]);
    }
    return bytes(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  if (cp < 0x110000) return bytes(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  throw fail("toml::read_utf8_codepoint: input codepoint is too large.", [[locationOf(loc), "should be in [0x00..0x10FFFF]"]]);
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { "\\": "\\", '"': '"', b: "\b", t: "\t", n: "\n", f: "\f", r: "\r" };

function parseEscapeSequence(loc: Loc): Result<string> {
  const first = loc.pos;
  if (loc.peek() !== "\\") return err(formatUnderline("toml::parse_escape_sequence: ", [[locationOf(loc), 'the next token is not a backslash "\\"']]));
  loc.pos++;
  const simple = SIMPLE_ESCAPES[loc.peek()];
  if (simple !== undefined) {
    loc.pos++;
    return ok(simple);
  }
  if (loc.peek() === "u" || loc.peek() === "U") {
    const t = token(loc, loc.peek() === "u" ? lex.escapeUnicodeShort : lex.escapeUnicodeLong);
    if (t !== null) return ok(readUtf8Codepoint(t, loc));
    const what = loc.peek() === "u" ? "uXXXX." : "Uxxxxxxxx";
    return err(formatUnderline(`parse_escape_sequence: invalid token found in UTF-8 codepoint ${what}`, [[locationOf(loc), "here"]]));
  }
  const message = formatUnderline(
    "parse_escape_sequence: unknown escape sequence appeared.",
    [[locationOf(loc), 'escape sequence is one of \\, ", b, t, n, f, r, uxxxx, Uxxxxxxxx']],
    ["if you want to write backslash as just one backslash, use literal string like: regex    = '<\\i\\c*\\s*>'"],
  );
  loc.pos = first;
  return err(message);
}

/** Where a string's UTF-8 goes wrong, or -1. */
function utf8ErrorOffset(text: string): number {
  let p = 0;
  for (let q = lex.utf8Code(text, p); q > p; q = lex.utf8Code(text, p)) p = q;
  return p === text.length ? -1 : p;
}

/** Fails if the string token's text is not UTF-8 (toml11 reports it as a multi-line string). */
function checkUtf8(t: Region, loc: Loc): void {
  const offset = utf8ErrorOffset(regionText(t));
  if (offset >= 0) throw fail("parse_ml_basic_string: invalid utf8 sequence found", [[locationOf(loc.copyAt(t.first + offset)), "here"]]);
}

/** The body of a multi-line string plus the one or two quotes its closing delimiter carried. */
function withClosingQuotes(body: string, close: Region, quote: string): string {
  return body + quote.repeat(close.last - close.first - 3);
}

function parseMlBasicString(loc: Loc): Result<Parsed<string>> {
  const first = loc.pos;
  const t = token(loc, lex.mlBasicString);
  if (t === null) return err(formatUnderline("toml::parse_ml_basic_string: the next token is not a valid multiline string", [[locationOf(loc), "here"]]));
  const inner = loc.copyAt(first);
  token(inner, lex.mlBasicOpen);
  token(inner, lex.newline);
  let value = "";
  let close: Region | null = null;
  const unescaped = lex.repeat(lex.either(lex.mlBasicUnescaped, lex.newline));
  while (close === null) {
    const raw = token(inner, unescaped);
    if (raw !== null) value += regionText(raw);
    const escaped = parseEscapeSequence(inner);
    if (escaped.ok) value += escaped.value;
    token(inner, lex.mlBasicEscapedNewline);
    close = token(inner, lex.mlBasicClose);
  }
  checkUtf8(t, loc);
  return ok({ value: withClosingQuotes(value, close, '"'), region: t });
}

function parseBasicString(loc: Loc): Result<Parsed<string>> {
  const first = loc.pos;
  const t = token(loc, lex.basicString);
  if (t === null) return err(formatUnderline("toml::parse_basic_string: the next token is not a valid string", [[locationOf(loc), "here"]]));
  const inner = loc.copyAt(first + 1);
  let value = "";
  const unescaped = lex.repeat(lex.basicUnescaped);
  do {
    const raw = token(inner, unescaped);
    if (raw !== null) value += regionText(raw);
    const escaped = parseEscapeSequence(inner);
    if (escaped.ok) value += escaped.value;
  } while (token(inner, lex.quotationMark) === null);
  checkUtf8(t, loc);
  return ok({ value, region: t });
}

function parseMlLiteralString(loc: Loc): Result<Parsed<string>> {
  const t = token(loc, lex.mlLiteralString);
  if (t === null) return err(formatUnderline("toml::parse_ml_literal_string: the next token is not a valid multiline literal string", [[locationOf(loc), "here"]]));
  const inner = new Loc(loc.name, regionText(t));
  token(inner, lex.mlLiteralOpen);
  token(inner, lex.newline);
  const body = token(inner, lex.mlLiteralBody) as Region;
  const close = token(inner, lex.mlLiteralClose) as Region;
  checkUtf8(t, loc);
  return ok({ value: withClosingQuotes(regionText(body), close, "'"), region: t });
}

function parseLiteralString(loc: Loc): Result<Parsed<string>> {
  const t = token(loc, lex.literalString);
  if (t === null) return err(formatUnderline("toml::parse_literal_string: the next token is not a valid literal string", [[locationOf(loc), "here"]]));
  checkUtf8(t, loc);
  return ok({ value: regionText(t).slice(1, -1), region: t });
}

function parseString(loc: Loc): Result<Parsed<string>> {
  const three = (c: string) => loc.src.startsWith(c.repeat(3), loc.pos);
  if (loc.peek() === '"') return three('"') ? parseMlBasicString(loc) : parseBasicString(loc);
  if (loc.peek() === "'") return three("'") ? parseMlLiteralString(loc) : parseLiteralString(loc);
  return err(formatUnderline("toml::parse_string: ", [[locationOf(loc), "the next token is not a string"]]));
}

const DATE_RULE = "month should be 01-12, day should be 01-28,29,30,31, depending on month/year.";

function parseLocalDate(loc: Loc): Result<Parsed<null>> {
  const t = token(loc, lex.localDate);
  if (t === null) return err(formatUnderline("toml::parse_local_date: ", [[locationOf(loc), "the next token is not a local_date"]]));
  const text = regionText(t);
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const maxDay = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (month < 1 || month > 12 || day < 1 || day > maxDay) throw fail("toml::parse_date: invalid date: it does not conform RFC3339.", [[locationOf(loc), DATE_RULE]]);
  return ok({ value: null, region: t });
}

function parseLocalTime(loc: Loc): Result<Parsed<null>> {
  const t = token(loc, lex.localTime);
  if (t === null) return err(formatUnderline("toml::parse_local_time: ", [[locationOf(loc), "the next token is not a local_time"]]));
  const text = regionText(t);
  const [hour, minute, second] = [0, 3, 6].map((i) => Number(text.slice(i, i + 2)));
  if (hour > 23 || minute > 59 || second > 60) {
    throw fail("toml::parse_time: invalid time: it does not conform RFC3339.", [
      [locationOf(loc), "hour should be 00-23, minute should be 00-59, second should be 00-60 (depending on the leap second rules.)"],
    ]);
  }
  return ok({ value: null, region: t });
}

/** A date and a time; the parts are checked on the token's own text, as toml11 does. */
function parseLocalDatetime(loc: Loc): Result<Parsed<null>> {
  const t = token(loc, lex.localDateTime);
  if (t === null) return err(formatUnderline("toml::parse_local_datetime: ", [[locationOf(loc), "the next token is not a local_datetime"]]));
  const inner = new Loc(loc.name, regionText(t));
  parseLocalDate(inner);
  inner.pos++;
  parseLocalTime(inner);
  return ok({ value: null, region: t });
}

function parseOffsetDatetime(loc: Loc): Result<Parsed<null>> {
  const t = token(loc, lex.offsetDateTime);
  if (t === null) return err(formatUnderline("toml::parse_offset_datetime: ", [[locationOf(loc), "the next token is not a offset_datetime"]]));
  const inner = new Loc(loc.name, regionText(t));
  parseLocalDatetime(inner);
  const offset = token(inner, lex.timeNumOffset);
  if (offset !== null) {
    const text = regionText(offset);
    if (Number(text.slice(1, 3)) > 23 || Number(text.slice(4, 6)) > 59) {
      // toml11 reuses the date message here.
      throw fail("toml::parse_offset_datetime: invalid offset: it does not conform RFC3339.", [[locationOf(loc), DATE_RULE]]);
    }
  }
  return ok({ value: null, region: t });
}

function parseSimpleKey(loc: Loc): Result<Parsed<string>> {
  const basic = parseBasicString(loc);
  if (basic.ok) return basic;
  const literal = parseLiteralString(loc);
  if (literal.ok) return literal;
  const bare = token(loc, lex.unquotedKey);
  if (bare !== null) return ok({ value: regionText(bare), region: bare });
  return err(formatUnderline("toml::parse_simple_key: ", [[locationOf(loc), "the next token is not a simple key"]]));
}

function parseKey(loc: Loc): Result<Parsed<string[]>> {
  const dotted = token(loc, lex.dottedKey);
  if (dotted !== null) {
    const inner = new Loc(loc.name, regionText(dotted));
    const keys: string[] = [];
    while (!inner.atEnd) {
      token(inner, lex.ws);
      const k = parseSimpleKey(inner);
      if (!k.ok) throw new TomlSyntaxError(k.error);
      keys.push(k.value.value);
      token(inner, lex.ws);
      if (inner.atEnd) break;
      inner.pos++; // the dot
    }
    return ok({ value: keys, region: dotted });
  }
  const simple = parseSimpleKey(loc);
  if (simple.ok) return ok({ value: [simple.value.value], region: simple.value.region });
  return err(
    formatUnderline(
      "toml::parse_key: an invalid key appeared.",
      [[locationOf(loc), "is not a valid key"]],
      [
        "bare keys  : non-empty strings composed only of [A-Za-z0-9_-].",
        "quoted keys: same as \"basic strings\" or 'literal strings'.",
        "dotted keys: sequence of bare or quoted keys joined with a dot.",
      ],
    ),
  );
}

function parseArray(loc: Loc): Result<Parsed<TomlValue[]>> {
  const first = loc.pos;
  if (loc.atEnd) return err("toml::parse_array: input is empty");
  if (loc.peek() !== "[") return err("toml::parse_array: token is not an array");
  loc.pos++;
  const values: TomlValue[] = [];
  const start = () => [locationOf(loc.copyAt(first)), "array starts here"] as [SourceLocation, string];
  while (!loc.atEnd) {
    token(loc, lex.wsCommentNewline);
    if (loc.peek() === "]") {
      loc.pos++;
      return ok({ value: values, region: regionOf(loc, first) });
    }
    const value = parseValue(loc);
    if (!value.ok) throw fail("toml::parse_array: value having invalid format appeared in an array", [start(), [locationOf(loc), "it is not a valid value."]]);
    values.push(value.value);
    if (token(loc, lex.seq(lex.maybe(lex.wsCommentNewline), lex.char(","))) === null) {
      token(loc, lex.wsCommentNewline);
      if (loc.peek() !== "]") throw fail("toml::parse_array: missing array separator `,` after a value", [start(), [locationOf(loc), "should be `,`"]]);
      loc.pos++;
      return ok({ value: values, region: regionOf(loc, first) });
    }
  }
  loc.pos = first;
  throw fail("toml::parse_array: array did not closed by `]`", [[locationOf(loc), "should be closed"]]);
}

interface KeyValue {
  keys: string[];
  keyRegion: Region;
  value: TomlValue;
}

function parseKeyValuePair(loc: Loc): Result<KeyValue> {
  const first = loc.pos;
  const key = parseKey(loc);
  if (!key.ok) {
    if (token(loc, lex.keyValueSeparator) !== null) {
      loc.pos = first;
      return err(formatUnderline("toml::parse_key_value_pair: empty key is not allowed.", [[locationOf(loc), "key expected before '='"]]));
    }
    return err(key.error);
  }
  if (token(loc, lex.keyValueSeparator) === null) {
    const lineEnd = loc.src.indexOf("\n", loc.pos);
    const rest = loc.src.slice(loc.pos, lineEnd < 0 ? undefined : lineEnd);
    // An '=' later on the line suggests the key itself is malformed.
    const message = rest.includes("=")
      ? formatUnderline("toml::parse_key_value_pair: invalid format for key", [[locationOf(loc), "invalid character in key"]], [
          "Did you forget '.' to separate dotted-key?",
          "Allowed characters for bare key are [0-9a-zA-Z_-].",
        ])
      : formatUnderline("toml::parse_key_value_pair: missing key-value separator `=`", [[locationOf(loc), "should be `=`"]]);
    loc.pos = first;
    return err(message);
  }
  const afterSeparator = loc.pos;
  const value = parseValue(loc);
  if (!value.ok) {
    loc.pos = afterSeparator;
    const nothing = lex.lineEnd(loc.src, loc.pos) >= 0;
    const message = nothing
      ? formatUnderline("toml::parse_key_value_pair: missing value after key-value separator '='", [[locationOf(loc), "expected value, but got nothing"]])
      : value.error;
    loc.pos = first;
    return err(message);
  }
  return ok({ keys: key.value.value, keyRegion: key.value.region, value: value.value });
}

function formatDottedKeys(keys: readonly string[], end: number): string {
  return keys.slice(0, end).join(".");
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/**
 * Whether table `inserting` may be merged into the table `existing` already at `keys[depth]`:
 * decided, as in toml11, by re-reading the text each was defined by. An inline table never
 * may; a table first made by `[a.b]` or a dotted key may unless that defined this very table.
 */
function mayMergeTables(existing: TomlValue, inserting: TomlValue, keys: readonly string[], depth: number): boolean {
  const insertingText = new Loc("internal", inserting.region ? regionText(inserting.region) : "");
  if (parseInlineTable(insertingText).ok) return false;
  const definition = existing.region ? regionText(existing.region) : "";
  const tableKeys = parseTableKey(new Loc("internal", definition));
  if (tableKeys.ok) return !sameKeys(tableKeys.value.value, keys);
  const dottedKeys = parseKey(new Loc("internal", definition));
  if (dottedKeys.ok) return !sameKeys(dottedKeys.value.value, keys.slice(depth));
  return false;
}

function table(data: Table, region: Region | null): TomlValue {
  return { type: "table", data, region };
}

/** toml11's insert_nested_key: puts `v` at the dotted `keys` below `root`. */
function insertNestedKey(root: Table, v: TomlValue, keys: readonly string[], keyRegion: Region, isArrayOfTables = false): void {
  const path = formatDottedKeys(keys, keys.length);
  let tab = root;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const existing = tab.get(k);
    if (i === keys.length - 1) {
      if (isArrayOfTables) {
        if (existing === undefined) {
          tab.set(k, { type: "array", data: [v], region: keyRegion });
          return;
        }
        if (existing.type === "table") {
          throw fail(`toml::insert_value: array of table ("${path}") cannot be defined`, [
            [locationOf(existing.region), "table already defined"],
            [locationOf(v.region), "this conflicts with the previous table"],
          ]);
        }
        const collides = () =>
          fail(`toml::insert_value: array of table ("${path}") collides with existing value`, [
            [locationOf(existing.region), `this ${existing.type} value already exists`],
            [locationOf(v.region), "while inserting this array-of-tables"],
          ]);
        if (existing.type !== "array") throw collides();
        const a = existing.data;
        if (a.length === 0 || a[0].type !== "table") throw collides();
        // An array of inline tables (`a = [{…}]`) has a fixed size.
        if (a[0].region !== null && !regionText(a[0].region).startsWith("[[")) {
          throw fail(`toml::insert_value: array of table ("${path}") collides with existing array-of-tables`, [
            [locationOf(existing.region), `this ${existing.type} value has static size`],
            [locationOf(v.region), "appending it to the statically sized array"],
          ]);
        }
        a.push(v);
        return;
      }
      if (existing === undefined) {
        tab.set(k, v);
        return;
      }
      if (existing.type === "table" && v.type === "table") {
        if (!mayMergeTables(existing, v, keys, i)) {
          throw fail(`toml::insert_value: table ("${path}") already exists.`, [
            [locationOf(existing.region), "table already exists here"],
            [locationOf(v.region), "table defined twice"],
          ]);
        }
        for (const [name, value] of v.data) {
          const clash = existing.data.get(name);
          if (clash !== undefined) {
            throw fail(`toml::insert_value: value ("${path}") already exists.`, [
              [locationOf(clash.region), "already exists here"],
              [locationOf(v.region), "this defined twice"],
            ]);
          }
          existing.data.set(name, value);
        }
        existing.region = keyRegion;
        return;
      }
      if (v.type === "table" && existing.type === "array" && existing.data.length > 0 && existing.data[0].type === "table") {
        throw fail(`toml::insert_value: array of tables ("${path}") already exists.`, [
          [locationOf(existing.region), "array of tables defined here"],
          [locationOf(v.region), "table conflicts with the previous array of table"],
        ]);
      }
      throw fail(`toml::insert_value: value ("${path}") already exists.`, [
        [locationOf(existing.region), "value already exists here"],
        [locationOf(v.region), "value defined twice"],
      ]);
    }
    // Not the last key: descend, making tables that do not exist yet.
    let next = existing;
    if (next === undefined) {
      next = table(new Map(), keyRegion);
      tab.set(k, next);
    }
    const prefix = formatDottedKeys(keys, i + 1);
    if (next.type === "table") {
      if (next.region !== null && next.region.src.charAt(next.region.first) === "{") {
        throw fail(`toml::insert_value: inserting to an inline table (${prefix}) but inline tables are immutable`, [
          [locationOf(next.region), "inline tables are immutable"],
          [locationOf(v.region), "inserting this"],
        ]);
      }
      tab = next.data;
    } else if (next.type === "array") {
      const last = next.data[next.data.length - 1];
      if (last.type !== "table") {
        throw fail(`toml::insert_value: target (${prefix}) is neither table nor an array of tables`, [
          [locationOf(last.region), `actual type is ${last.type}`],
          [locationOf(v.region), "inserting this"],
        ]);
      }
      tab = last.data;
    } else {
      throw fail(`toml::insert_value: target (${prefix}) is neither table nor an array of tables`, [
        [locationOf(next.region), `actual type is ${next.type}`],
        [locationOf(v.region), "inserting this"],
      ]);
    }
  }
}

function parseInlineTable(loc: Loc): Result<Parsed<Table>> {
  const first = loc.pos;
  const result: Table = new Map();
  if (loc.peek() !== "{") return err(formatUnderline("toml::parse_inline_table: ", [[locationOf(loc), "the next token is not an inline table"]]));
  loc.pos++;
  token(loc, lex.ws);
  if (loc.peek() === "}") {
    loc.pos++;
    return ok({ value: result, region: regionOf(loc, first) });
  }
  while (!loc.atEnd) {
    const kv = parseKeyValuePair(loc);
    if (!kv.ok) return err(kv.error);
    insertNestedKey(result, kv.value.value, kv.value.keys, kv.value.keyRegion);
    if (token(loc, lex.seq(lex.maybe(lex.ws), lex.char(","))) === null) {
      token(loc, lex.ws);
      if (loc.atEnd) throw fail("toml::parse_inline_table: missing table separator `}` ", [[locationOf(loc), "should be `}`"]]);
      if (loc.peek() === "}") {
        loc.pos++;
        return ok({ value: result, region: regionOf(loc, first) });
      }
      if (loc.peek() === "#" || loc.peek() === "\r" || loc.peek() === "\n") throw fail("toml::parse_inline_table: missing curly brace `}`", [[locationOf(loc), "should be `}`"]]);
      throw fail("toml::parse_inline_table: missing table separator `,` ", [[locationOf(loc), "should be `,`"]]);
    }
    token(loc, lex.ws);
    if (loc.peek() === "}") throw fail("toml::parse_inline_table: trailing comma is not allowed in an inline table", [[locationOf(loc), "should be `}`"]]);
  }
  loc.pos = first;
  throw fail("toml::parse_inline_table: inline table did not closed by `}`", [[locationOf(loc), "should be closed"]]);
}

type ValueType = TomlValue["type"];

const PASS_FLOAT = ["pass: +1.0, -2e-2, 3.141_592_653_589, inf, nan", "fail: .0, 1., _1.0, 1.0_, 1_.0, 1.0__0"];
const PASS_INTEGER = ["pass: -42, 1_000, 1_2_3_4_5, 0xC0FFEE, 0b0010, 0o755", "fail: 1__000, 0123"];
const PASS_TIME_T = ["pass: 1979-05-27T07:32:00, 1979-05-27 07:32:00.999999", "fail: 1979-05-27T7:32:00, 1979-05-27 17:32"];
const PASS_TIME_SPACE = ["pass: 1979-05-27T07:32:00, 1979-05-27 07:32:00.999999", "fail: 1979-05-27T7:32:00, 1979-05-27 7:32"];

/** What kind of number-like value starts here, with toml11's diagnoses of common mistakes. */
function guessNumberType(start: Loc): Result<ValueType> {
  const loc = start.copyAt(start.pos);
  const next = () => loc.peek();
  if (token(loc, lex.offsetDateTime)) return ok("offset_datetime");
  loc.pos = start.pos;
  if (token(loc, lex.localDateTime)) {
    if ("+-Zz".includes(next()) && next() !== "") {
      return err(formatUnderline("bad offset: should be [+-]HH:MM or Z", [[locationOf(loc), "[+-]HH:MM or Z"]], ["pass: +09:00, -05:30", "fail: +9:00, -5:30"]));
    }
    return ok("local_datetime");
  }
  loc.pos = start.pos;
  if (token(loc, lex.localDate)) {
    const c = next();
    if (c === "T" || c === "t") return err(formatUnderline("bad time: should be HH:MM:SS.subsec", [[locationOf(loc), "HH:MM:SS.subsec"]], PASS_TIME_T));
    if (c >= "0" && c <= "9" && c !== "") return err(formatUnderline("bad time: missing T", [[locationOf(loc), "T or space required here"]], PASS_TIME_SPACE));
    const after = loc.src.charAt(loc.pos + 1);
    if (c === " " && after >= "0" && after <= "9" && after !== "") {
      loc.pos++;
      return err(formatUnderline("bad time: should be HH:MM:SS.subsec", [[locationOf(loc), "HH:MM:SS.subsec"]], PASS_TIME_SPACE));
    }
    return ok("local_date");
  }
  loc.pos = start.pos;
  if (token(loc, lex.localTime)) return ok("local_time");
  loc.pos = start.pos;
  if (token(loc, lex.float)) {
    if (next() === "_") return err(formatUnderline("bad float: `_` should be surrounded by digits", [[locationOf(loc), "here"]], PASS_FLOAT));
    return ok("floating");
  }
  loc.pos = start.pos;
  if (token(loc, lex.integer)) {
    const c = next();
    if (c === "_") return err(formatUnderline("bad integer: `_` should be surrounded by digits", [[locationOf(loc), "here"]], PASS_INTEGER));
    if (c >= "0" && c <= "9" && c !== "") {
      loc.pos--;
      return err(formatUnderline("bad integer: leading zero", [[locationOf(loc), "here"]], PASS_INTEGER));
    }
    if (c === ":" || c === "-") {
      return err(
        formatUnderline("bad datetime: invalid format", [[locationOf(loc), "here"]], [
          "pass: 1979-05-27T07:32:00-07:00, 1979-05-27 07:32:00.999999Z",
          "fail: 1979-05-27T7:32:00-7:00, 1979-05-27 7:32-00:30",
        ]),
      );
    }
    if (c === "." || c === "e" || c === "E") return err(formatUnderline("bad float: invalid format", [[locationOf(loc), "here"]], PASS_FLOAT));
    return ok("integer");
  }
  if (next() === ".") return err(formatUnderline("bad float: invalid format", [[locationOf(loc), "integer part required before this"]], PASS_FLOAT));
  if (next() === "_") return err(formatUnderline("bad number: `_` should be surrounded by digits", [[locationOf(loc), "`_` is not surrounded by digits"]], PASS_INTEGER));
  return err(formatUnderline("bad format: unknown value appeared", [[locationOf(loc), "here"]]));
}

function guessValueType(loc: Loc): Result<ValueType> {
  switch (loc.peek()) {
    case '"':
    case "'":
      return ok("string");
    case "t":
    case "f":
      return ok("boolean");
    case "[":
      return ok("array");
    case "{":
      return ok("table");
    case "i":
    case "n":
      return ok("floating");
    default:
      return guessNumberType(loc);
  }
}

function valueFrom<T>(result: Result<Parsed<T>>, make: (value: T, region: Region) => TomlValue): Result<TomlValue> {
  return result.ok ? ok(make(result.value.value, result.value.region)) : result;
}

function parseValue(loc: Loc): Result<TomlValue> {
  if (loc.atEnd) return err(formatUnderline("toml::parse_value: input is empty", [[locationOf(loc), ""]]));
  const type = guessValueType(loc);
  if (!type.ok) return type;
  switch (type.value) {
    case "boolean":
      return valueFrom(parseBoolean(loc), (data, region) => ({ type: "boolean", data, region }));
    case "integer":
      return valueFrom(parseInteger(loc), (data, region) => ({ type: "integer", data, region }));
    case "floating":
      return valueFrom(parseFloating(loc), (data, region) => ({ type: "floating", data, region }));
    case "string":
      return valueFrom(parseString(loc), (data, region) => ({ type: "string", data, region }));
    case "offset_datetime":
      return valueFrom(parseOffsetDatetime(loc), (data, region) => ({ type: "offset_datetime", data, region }));
    case "local_datetime":
      return valueFrom(parseLocalDatetime(loc), (data, region) => ({ type: "local_datetime", data, region }));
    case "local_date":
      return valueFrom(parseLocalDate(loc), (data, region) => ({ type: "local_date", data, region }));
    case "local_time":
      return valueFrom(parseLocalTime(loc), (data, region) => ({ type: "local_time", data, region }));
    case "array":
      return valueFrom(parseArray(loc), (data, region) => ({ type: "array", data, region }));
    case "table":
      return valueFrom(parseInlineTable(loc), (data, region) => table(data, region));
  }
}

/** `[a.b]` or `[[a.b]]` (by `lexer`), which must end its line. */
function parseTableHeader(loc: Loc, lexer: lex.Lexer, open: number, name: string, example: string): Result<Parsed<string[]>> {
  const t = token(loc, lexer);
  if (t === null) return err(formatUnderline(`toml::${name}: not a valid table key`, [[locationOf(loc), "here"]]));
  const inner = new Loc(loc.name, regionText(t), open);
  token(inner, lex.ws);
  const keys = parseKey(inner) as { ok: true; value: Parsed<string[]> };
  if (!loc.atEnd && token(loc, lex.lineEnd) === null) {
    throw fail(`toml::${name}: newline required after ${example}`, [[locationOf(loc), "expected newline"]]);
  }
  return ok({ value: keys.value.value, region: t });
}

function parseTableKey(loc: Loc): Result<Parsed<string[]>> {
  return parseTableHeader(loc, lex.stdTable, 1, "parse_table_key", "[table.key]");
}

function parseArrayTableKey(loc: Loc): Result<Parsed<string[]>> {
  return parseTableHeader(loc, lex.arrayTable, 2, "parse_array_table_key", "[[table.key]]");
}

const skipLines = lex.repeat(lex.lineEnd, 1);

/** The key/value lines of a table, up to the next table header. */
function parseMlTable(loc: Loc): Result<Table> {
  const tab: Table = new Map();
  if (loc.atEnd) return ok(tab);
  token(loc, skipLines);
  token(loc, lex.ws);
  while (!loc.atEnd) {
    token(loc, lex.ws);
    const before = loc.pos;
    if (parseArrayTableKey(loc).ok || parseTableKey(loc).ok) {
      loc.pos = before;
      return ok(tab);
    }
    const kv = parseKeyValuePair(loc);
    if (!kv.ok) return err(kv.error);
    insertNestedKey(tab, kv.value.value, kv.value.keys, kv.value.keyRegion);
    token(loc, lex.ws);
    token(loc, lex.comment);
    if (token(loc, skipLines) === null && !loc.atEnd) {
      const before2 = loc.pos;
      token(loc, lex.ws);
      const message = formatUnderline("toml::parse_table: invalid line format", [[locationOf(loc), `expected newline, but got '${showChar(loc.peek())}'.`]]);
      loc.pos = before2;
      return err(message);
    }
    token(loc, lex.ws);
    token(loc, lex.comment);
  }
  return ok(tab);
}

const firstComments = lex.seq(lex.repeat(lex.seq(lex.maybe(lex.ws), lex.comment, lex.newline), 1), lex.seq(lex.maybe(lex.ws), lex.newline));

function parseTomlFile(loc: Loc): Result<Table> {
  if (loc.atEnd) return ok(new Map());
  token(loc, firstComments);
  const root = parseMlTable(loc);
  if (!root.ok) return root;
  const data = root.value;
  while (!loc.atEnd) {
    const arrayKey = parseArrayTableKey(loc);
    const key = arrayKey.ok ? arrayKey : parseTableKey(loc);
    if (!key.ok) return err(formatUnderline("toml::parse_toml_file: unknown line appeared", [[locationOf(loc), "unknown format"]]));
    const tab = parseMlTable(loc);
    if (!tab.ok) return tab;
    insertNestedKey(data, table(tab.value, key.value.region), key.value.value, key.value.region, arrayKey.ok);
  }
  return ok(data);
}

/** Parses a TOML document (a byte string); throws TomlSyntaxError with toml11's message. */
export function parseToml(text: string): Table {
  // toml11 ends the text with a newline unless it ends in one (or in a CR).
  const src = text !== "" && !text.endsWith("\n") && !text.endsWith("\r") ? `${text}\n` : text;
  const loc = new Loc("fromTOML", src);
  if (src.startsWith("\xef\xbb\xbf")) loc.pos = 3;
  const data = parseTomlFile(loc);
  if (!data.ok) throw new TomlSyntaxError(data.error);
  return data.value;
}
