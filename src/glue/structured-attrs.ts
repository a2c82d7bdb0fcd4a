// The files a structured-attrs derivation (`__structuredAttrs = true`, whose env holds `__json`)
// gets in its build directory, byte for byte as Nix 2.8 writes them (parsed-derivations.cc,
// local-derivation-goal.cc writeStructuredAttrs):
// - `.attrs.json`: the `__json` attributes with `outputs` replaced by an object of output name →
//   path, dumped by nlohmann::json: keys in byte order, no spaces, integers and floats kept
//   apart, floats in nlohmann's shortest form (`1e+20`, `3.0`), strings as UTF-8 with only `"`,
//   `\` and control characters escaped;
// - `.attrs.sh`: `declare` lines for the attributes with shell-variable names whose values are
//   simple (string, number, null, bool), or lists / sets of simple values.
// Strings here are byte strings (latin1, one char per byte), like the derivation's.
import { compareBytes } from "../nix-compat/byte-string.ts";

/** A JSON value as nlohmann keeps it: integers apart from floats, object keys sorted. */
export type JsonValue = null | boolean | string | { int: bigint } | { float: number } | JsonValue[] | Map<string, JsonValue>;

export class StructuredAttrsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StructuredAttrsError";
  }
}

/** The structured attributes of `__json`, with `outputs` set to the output paths. */
export function structuredAttrs(json: string, outputPaths: ReadonlyMap<string, string>): Map<string, JsonValue> {
  const value = parseJson(json);
  if (!(value instanceof Map)) throw new StructuredAttrsError("the derivation's __json is not a JSON object");
  value.set("outputs", new Map([...outputPaths].sort((a, b) => compareBytes(a[0], b[0]))));
  return sortedMap(value);
}

/** `.attrs.json`: nlohmann's `json.dump()`. */
export function attrsJson(attrs: Map<string, JsonValue>): string {
  return dumpJson(attrs);
}

const SH_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `.attrs.sh`: Nix 2.8's writeStructuredAttrsShell. */
export function attrsSh(attrs: Map<string, JsonValue>): string {
  let sh = "";
  for (const [key, value] of attrs) {
    if (!SH_VAR_NAME.test(key)) continue;
    const simple = simpleShellValue(value);
    if (simple !== undefined) {
      sh += `declare ${key}=${simple}\n`;
    } else if (Array.isArray(value)) {
      const items = value.map(simpleShellValue);
      if (items.every((item) => item !== undefined)) sh += `declare -a ${key}=(${items.map((item) => `${item} `).join("")})\n`;
    } else if (value instanceof Map) {
      const items = [...value].map(([k, v]) => [k, simpleShellValue(v)] as const);
      if (items.every(([, item]) => item !== undefined)) sh += `declare -A ${key}=(${items.map(([k, item]) => `[${shellEscape(k)}]=${item} `).join("")})\n`;
    }
  }
  return sh;
}

function shellEscape(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/**
 * Nix's handleSimpleType. Numbers go through `float` and `int` as C++ does: one whose float32
 * value is whole is printed as a C++ int (an integer wraps to 32 bits, a float is truncated,
 * out of range it is INT_MIN, as x86 converts); others are left out.
 */
function simpleShellValue(value: JsonValue): string | undefined {
  if (typeof value === "string") return shellEscape(value);
  if (value === null) return "''";
  if (typeof value === "boolean") return value ? "1" : "";
  if (Array.isArray(value) || value instanceof Map) return undefined;
  const number = "int" in value ? Number(value.int) : value.float;
  const f = Math.fround(number);
  if (Math.ceil(f) !== f) return undefined;
  if ("int" in value) return BigInt.asIntN(32, value.int).toString();
  const truncated = Math.trunc(value.float);
  return (truncated >= -2147483648 && truncated <= 2147483647 ? truncated : -2147483648).toString();
}

function sortedMap(map: Map<string, JsonValue>): Map<string, JsonValue> {
  return new Map([...map].sort((a, b) => compareBytes(a[0], b[0])));
}

/** nlohmann's dump: compact; strings escaped as its serializer does with ensure_ascii off. */
export function dumpJson(value: JsonValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "string") return dumpString(value);
  if (Array.isArray(value)) return `[${value.map(dumpJson).join(",")}]`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${dumpString(k)}:${dumpJson(v)}`).join(",")}}`;
  if ("int" in value) return value.int.toString();
  return dumpFloat(value.float);
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function dumpString(s: string): string {
  return `"${s.replace(/["\\\x00-\x1f]/g, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}"`;
}

/** nlohmann's to_chars: the shortest digits, plain between 1e-4 and 1e15, else `d.ddde±XX`. */
function dumpFloat(x: number): string {
  if (!Number.isFinite(x)) return "null";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, exp] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const k = digits.length;
  const n = Number(exp) + 1; // the decimal point is after n digits
  if (k <= n && n <= 15) return `${sign}${digits}${"0".repeat(n - k)}.0`;
  if (0 < n && n <= 15) return `${sign}${digits.slice(0, n)}.${digits.slice(n)}`;
  if (-4 < n && n <= 0) return `${sign}0.${"0".repeat(-n)}${digits}`;
  const e = n - 1;
  const magnitude = String(Math.abs(e)).padStart(2, "0");
  return `${sign}${digits[0]}${k > 1 ? `.${digits.slice(1)}` : ""}e${e < 0 ? "-" : "+"}${magnitude}`;
}

const LITERALS: [string, JsonValue][] = [
  ["true", true],
  ["false", false],
  ["null", null],
];

/** Parses JSON text given as bytes; `\u` escapes become UTF-8 bytes. */
export function parseJson(text: string): JsonValue {
  let i = 0;
  const fail = (why: string): never => {
    throw new StructuredAttrsError(`invalid JSON in the derivation's __json at byte ${i}: ${why}`);
  };
  const skipSpace = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const expect = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`expected '${word}'`);
  };
  const hex4 = (): number => {
    const h = text.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) fail("bad \\u escape");
    i += 4;
    return parseInt(h, 16);
  };
  const string = (): string => {
    expect('"');
    let out = "";
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text[i++];
      if (c === '"') return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = text[i++];
      const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (e in simple) out += simple[e];
      else if (e === "u") {
        let code = hex4();
        if (code >= 0xd800 && code < 0xdc00 && text.startsWith("\\u", i)) {
          i += 2;
          code = 0x10000 + ((code - 0xd800) << 10) + (hex4() - 0xdc00);
        }
        out += Buffer.from(String.fromCodePoint(code), "utf8").toString("latin1");
      } else fail("bad escape");
    }
  };
  const value = (): JsonValue => {
    skipSpace();
    const c = text[i];
    if (c === "{") {
      i++;
      const map = new Map<string, JsonValue>();
      skipSpace();
      if (text[i] === "}") {
        i++;
        return map;
      }
      for (;;) {
        skipSpace();
        const key = string();
        skipSpace();
        expect(":");
        map.set(key, value());
        skipSpace();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          return sortedMap(map);
        } else fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const list: JsonValue[] = [];
      skipSpace();
      if (text[i] === "]") {
        i++;
        return list;
      }
      for (;;) {
        list.push(value());
        skipSpace();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
          return list;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    for (const [word, literal] of LITERALS) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return literal;
      }
    }
    const number = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (number === null) return fail("unexpected character");
    i += number[0].length;
    // nlohmann keeps integers that fit 64 bits as integers.
    if (number[2] === undefined && number[3] === undefined) {
      const int = BigInt(number[0]);
      if (int >= -(2n ** 63n) && int < 2n ** 64n) return { int };
    }
    return { float: Number(number[0]) };
  };
  const result = value();
  skipSpace();
  if (i !== text.length) fail("trailing characters");
  return result;
}
