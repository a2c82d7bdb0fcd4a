// The string, regex, serialisation, context and version builtins against real Nix 2.8: a few
// hundred seeded random calls (byte strings, regular expressions built from every ERE
// construct, version strings, JSON and TOML documents, string contexts of derivations) are
// evaluated in-process and by ONE `nix-instantiate --eval --strict --json` call, each result
// compared as the JSON text `builtins.toJSON` makes of it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EvalError } from "../../src/eval/errors.ts";
import { EvalState } from "../../src/eval/state.ts";
import { stringText } from "../../src/eval/value/string.ts";
import type { NixString } from "../../src/eval/value/string.ts";
import { createGlue } from "../../src/glue/glue.ts";
import { SeededRandom } from "../support/seeded-random.ts";

const SEED = 20260522;
const dir = mkdtempSync(join(tmpdir(), "tvix-eval-strings-"));
const rng = new SeededRandom(SEED);

/** A Nix string literal for a byte string. */
function nixString(s: string): string {
  return `"${s.replace(/[\\"$\n\r\t]/g, (c) => ({ "\\": "\\\\", '"': '\\"', $: "\\$", "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c] as string)}"`;
}

function nixList(items: readonly string[]): string {
  return `[ ${items.join(" ")} ]`;
}

function randomString(alphabet: readonly string[], max: number): string {
  let s = "";
  for (let n = rng.int(0, max); n > 0; n--) s += rng.pick(alphabet);
  return s;
}

const BYTES = ["a", "b", "c", "A", "Z", "0", "1", "9", ".", "-", "_", "/", " ", "\n", "\t", "x", "\xc3\xa9", "\xff", "\x80", "(", "]", "*"];
const REGEX_TEXT = ["a", "b", "c", "A", "0", "1", ".", "-", "_", " ", "\n", "\xc3\xa9", "\xff"];
/** Mostly a few letters, so that random regexes and strings match often. */
const MATCH_TEXT = ["a", "a", "a", "b", "b", "c", "1", " ", "\n", "\xc3\xa9"];

// ---------------------------------------------------------------- regular expressions

const SPECIAL = ".[\\()*+?{|^$";
const CLASSES = ["alpha", "digit", "alnum", "upper", "lower", "space", "punct", "xdigit", "blank", "cntrl", "graph", "print", "w", "d", "s"];

/** A regex and a string it probably matches (regexes are built together with an example). */
type Sample = [re: string, example: string];

function regexLiteral(): Sample {
  const c = rng.next() < 0.7 ? rng.pick(MATCH_TEXT) : rng.pick([...REGEX_TEXT, "(", ")", "*", "+", "?", "{", "|", "^", "$", "[", "]", "}", "\\"]);
  return [SPECIAL.includes(c) ? `\\${c}` : c, c];
}

function bracket(): Sample {
  const negated = rng.next() < 0.3;
  let out = negated ? "[^" : "[";
  const members: string[] = [];
  if (rng.next() < 0.15) out += "]";
  for (let n = rng.int(1, 3); n > 0; n--) {
    const kind = rng.int(0, 3);
    if (kind === 0) {
      const name = rng.pick(CLASSES);
      out += `[:${name}:]`;
      members.push({ digit: "1", d: "1", space: " ", s: " ", blank: " " }[name as string] ?? "a");
    } else if (kind === 1) {
      const r = rng.pick(["a-c", "0-9", "A-Z", "\x80-\xff", " -/", "a-a"]);
      out += r;
      members.push(r[0]);
    } else if (kind === 2) {
      const [text, member] = rng.pick([["[=a=]", "A"], ["[.space.]", " "], ["[.hyphen.]", "-"]]);
      out += text;
      members.push(member);
    } else {
      const c = rng.pick(["a", "b", "1", ".", "*", "(", "\\", "$", "|", "\xc3", "\n"]);
      out += c;
      members.push(c);
    }
  }
  if (rng.next() < 0.15) out += "-";
  return [`${out}]`, negated ? rng.pick(["z", "b", "\n", "\xff"]) : rng.pick(members)];
}

function regexAtom(depth: number, quantifiable: boolean): Sample {
  const kind = rng.int(0, 9);
  if (kind <= 3) return regexLiteral();
  if (kind === 4) return [".", rng.pick(MATCH_TEXT)];
  if (kind <= 6) return bracket();
  if (kind <= 8 && depth < 2) {
    const [re, example] = regex(depth + 1, quantifiable);
    return [`(${re})`, example];
  }
  return rng.pick<Sample>([["a", "a"], ["b", "b"], [".", "c"]]);
}

const QUANTIFIERS: readonly [string, number, number][] = [
  ["*", 0, 2], ["+", 1, 2], ["?", 0, 1], ["{0}", 0, 0], ["{1}", 1, 1], ["{2}", 2, 2], ["{1,}", 1, 3], ["{0,2}", 0, 2], ["{2,3}", 2, 3], ["*?", 0, 1], ["+*", 0, 2],
];

/**
 * An atom, perhaps quantified. Inside a quantified group nothing is quantified again: nested
 * loops make libstdc++'s matcher (and so Nix) take exponential time.
 */
function regexPiece(depth: number, quantifiable: boolean): Sample {
  if (rng.next() < 0.08) return [rng.pick(["^", "$"]), ""];
  if (!quantifiable || rng.next() >= 0.35) return regexAtom(depth, quantifiable);
  const [atom, example] = regexAtom(depth, false);
  const [quantifier, min, max] = rng.pick(QUANTIFIERS);
  return [atom + quantifier, example.repeat(rng.int(min, max))];
}

function regex(depth = 0, quantifiable = true): Sample {
  const branches: Sample[] = [];
  for (let b = rng.next() < 0.25 ? rng.int(2, 3) : 1; b > 0; b--) {
    let branch: Sample = ["", ""];
    for (let n = rng.int(depth === 0 ? 1 : 0, 4); n > 0; n--) {
      const [re, example] = regexPiece(depth, quantifiable);
      branch = [branch[0] + re, branch[1] + example];
    }
    branches.push(branch);
  }
  return [branches.map(([re]) => re).join("|"), rng.pick(branches)[1]];
}

/** The example, maybe with a byte changed, dropped or added, or some other string. */
function regexInput(example: string): string {
  const r = rng.next();
  if (r < 0.4) return example;
  if (r < 0.7 && example !== "") {
    const at = rng.int(0, example.length - 1);
    return example.slice(0, at) + rng.pick(["", rng.pick(MATCH_TEXT), rng.pick(MATCH_TEXT) + example[at]]) + example.slice(at + 1);
  }
  return randomString(rng.next() < 0.7 ? MATCH_TEXT : REGEX_TEXT, 10);
}

function regexCases(count: number): string[] {
  const cases: string[] = [];
  for (let i = 0; i < count; i++) {
    const [re, example] = regex();
    const s = nixString(regexInput(example));
    cases.push(`builtins.match ${nixString(re)} ${s}`, `builtins.split ${nixString(re)} ${s}`);
  }
  return cases;
}

// ---------------------------------------------------------------- strings and versions

function stringCases(count: number): string[] {
  const cases: string[] = [];
  const bigInts = ["2147483649", "4294967298", "(-1)", "(-3)", "9223372036854775807"];
  const pathish = ["/", "a", "b", ".", "..", "//"];
  for (let i = 0; i < count; i++) {
    const s = nixString(randomString(BYTES, 12));
    const start = rng.next() < 0.2 ? rng.pick(["4294967301", "4294967298"]) : String(rng.int(0, 14));
    const len = rng.next() < 0.3 ? rng.pick(bigInts) : String(rng.int(0, 8));
    const from = Array.from({ length: rng.int(0, 3) }, () => nixString(rng.next() < 0.2 ? "" : randomString(["a", "b", "é", "x", "/"], 2)));
    const to = from.map(() => nixString(randomString(["X", "-", "", "ab"], 2)));
    const path = Array.from({ length: rng.int(0, 4) }, () => rng.pick(pathish)).join("");
    cases.push(
      `builtins.substring ${start} ${len} ${s}`,
      `builtins.stringLength ${s}`,
      `builtins.replaceStrings ${nixList(from)} ${nixList(to)} ${s}`,
      `builtins.concatStringsSep ${nixString(randomString(BYTES, 2))} ${nixList([s, nixString(randomString(BYTES, 3))])}`,
      `[ (baseNameOf ${nixString(path)}) (dirOf ${nixString(path)}) ]`,
      `builtins.hashString ${nixString(rng.pick(["md5", "sha1", "sha256", "sha512"]))} ${s}`,
    );
  }
  return cases;
}

const VERSION_PARTS = ["1", "2", "10", "007", "0", "pre", "alpha", "rc", "a", "b", "-", ".", ".", "-", "99999999999", "2147483648", "x86_64"];

function versionCases(count: number): string[] {
  const version = () => Array.from({ length: rng.int(0, 6) }, () => rng.pick(VERSION_PARTS)).join("");
  const cases: string[] = [];
  for (let i = 0; i < count; i++) {
    const [a, b] = [version(), version()];
    cases.push(
      `builtins.splitVersion ${nixString(a)}`,
      `[ (builtins.compareVersions ${nixString(a)} ${nixString(b)}) (builtins.compareVersions ${nixString(b)} ${nixString(a)}) ]`,
      `builtins.parseDrvName ${nixString(`${rng.pick(["nix", "apache-httpd", "a-b", "x"])}${rng.pick(["-", ""])}${a}`)}`,
    );
  }
  return cases;
}

// ---------------------------------------------------------------- JSON

const JSON_STRING_PARTS = ["a", "Z", " ", "\\n", '\\"', "\\\\", "\\/", "\\t", "\\u00e9", "\\u0041", "\\ud83d\\ude00", "\\u20ac", "\xc3\xa9", "\xf0\x9f\x98\x80", "\\b", "\\f"];
const JSON_NUMBERS = ["0", "-0", "1", "-1", "42", "1.5", "-0.0", "1e3", "2E-2", "1.7976931348623157e308", "5e-324", "9007199254740993", "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616", "-9223372036854775808", "-9223372036854775809", "123456789012345678901234567890", "0.1", "100000", "1234567"];

function jsonValue(depth: number): string {
  const ws = () => rng.pick(["", "", " ", "\n", "\t", "\r\n "]);
  const kind = rng.int(0, depth < 3 ? 6 : 3);
  if (kind === 0) return rng.pick(["true", "false", "null"]);
  if (kind === 1) return rng.pick(JSON_NUMBERS);
  if (kind <= 3) return `"${randomString(JSON_STRING_PARTS, 5)}"`;
  if (kind === 4) return `[${Array.from({ length: rng.int(0, 3) }, () => ws() + jsonValue(depth + 1) + ws()).join(",")}]`;
  const members = Array.from({ length: rng.int(0, 3) }, () => `${ws()}"${randomString(["k", "a", "b", "\\u00e9"], 2)}"${ws()}:${ws()}${jsonValue(depth + 1)}${ws()}`);
  return `{${members.join(",")}}`;
}

function jsonCases(count: number): string[] {
  return Array.from({ length: count }, () => `builtins.fromJSON ${nixString(jsonValue(0))}`);
}

// ---------------------------------------------------------------- TOML

const TOML_STRINGS = [
  '"plain"',
  '"tab\\there"',
  '"quote \\" backslash \\\\"',
  '"\\u00e9\\U0001F600"',
  '"raw \xc3\xa9"',
  "'literal \\n'",
  '"""\nmulti\\\n   line"""',
  '"""two "quotes"" """',
  "'''\nraw\nlines'''",
  "''''quoted''''",
  '""',
];
const TOML_NUMBERS = ["0", "+17", "-42", "1_000", "0xDEAD_beef", "0o755", "0b1101", "9223372036854775807", "3.14", "-0.01", "5e+22", "1e06", "6.626e-34", "3.1415_9265", "-0.0", "+1.5"];

function tomlValue(depth: number): string {
  const kind = rng.int(0, depth < 2 ? 5 : 3);
  if (kind === 0) return rng.pick(["true", "false"]);
  if (kind === 1) return rng.pick(TOML_NUMBERS);
  if (kind <= 3) return rng.pick(TOML_STRINGS);
  if (kind === 4) {
    const items = Array.from({ length: rng.int(0, 3) }, () => tomlValue(depth + 1));
    return `[ ${items.join(rng.pick([", ", ",\n  ", " , "]))}${items.length > 0 ? rng.pick(["", ",", " # c\n"]) : ""} ]`;
  }
  const names = uniqueNames(rng.int(0, 3));
  return `{ ${names.map((name) => `${name} = ${tomlValue(depth + 1)}`).join(", ")} }`;
}

function uniqueNames(n: number): string[] {
  const pool = ["a", "b", "key", "bare-key", "under_score", "1234", '"quoted key"', "'lit.key'", '"\xc3\xa9"', "x"];
  return rng.shuffle(pool).slice(0, n);
}

function tomlDocument(): string {
  const lines: string[] = [];
  if (rng.next() < 0.3) lines.push("# a comment", "");
  for (const name of uniqueNames(rng.int(0, 3))) lines.push(`${name} = ${tomlValue(0)}${rng.pick(["", "  # trailing"])}`);
  if (rng.next() < 0.3) lines.push(`dotted.key.here = ${tomlValue(1)}`, `dotted.other = ${tomlValue(1)}`);
  for (const table of rng.shuffle(["t1", "t2", "t3.sub", '"quoted table"']).slice(0, rng.int(0, 2))) {
    lines.push("", `[${table}]`);
    for (const name of uniqueNames(rng.int(0, 3))) lines.push(`${name} = ${tomlValue(1)}`);
  }
  for (let n = rng.int(0, 2); n > 0; n--) {
    lines.push(`[[fruit]]`);
    for (const name of uniqueNames(rng.int(0, 2))) lines.push(`  ${name} = ${tomlValue(1)}`);
  }
  return lines.join(rng.pick(["\n", "\r\n"])) + rng.pick(["", "\n"]);
}

function tomlCases(count: number): string[] {
  return Array.from({ length: count }, () => `builtins.fromTOML ${nixString(tomlDocument())}`);
}

// ---------------------------------------------------------------- contexts and XML

function contextCases(count: number): string[] {
  const cases: string[] = [];
  for (let i = 0; i < count; i++) {
    const drv = `(derivation { name = "d${i}"; builder = "/bin/sh"; system = "x86_64-linux"; outputs = [ "out" "dev" "lib" ]; })`;
    const parts = Array.from({ length: rng.int(1, 4) }, () => rng.pick(["${d}", "${d.dev}", "${d.lib}", "${d.drvPath}", "plain", "${builtins.unsafeDiscardOutputDependency d.drvPath}"]));
    const s = `"${parts.join("")}"`;
    const outputs = nixList(rng.shuffle(['"out"', '"dev"', '"bin"']).slice(0, rng.int(0, 2)));
    cases.push(
      `let d = ${drv}; in builtins.getContext ${s}`,
      `let d = ${drv}; in [ (builtins.hasContext ${s}) (builtins.unsafeDiscardStringContext ${s}) (builtins.stringLength ${s}) ]`,
      `let d = ${drv}; p = builtins.unsafeDiscardStringContext d.drvPath; in builtins.getContext (builtins.appendContext ${s} { \${p} = { path = ${rng.pick(["true", "false"])}; allOutputs = ${rng.pick(["true", "false"])}; outputs = ${outputs}; }; })`,
      `let d = ${drv}; in builtins.getContext (builtins.substring 1 ${rng.int(0, 3)} ${s})`,
    );
  }
  return cases;
}

function xmlValue(depth: number): string {
  const kind = rng.int(0, depth < 2 ? 5 : 3);
  if (kind === 0) return rng.pick(["true", "null", "1", "(-7)", "2.5"]);
  if (kind <= 2) return nixString(randomString([...BYTES, "<", ">", "&", '"', "'"], 6));
  if (kind === 3) return "(x: x)";
  if (kind === 4) return nixList(Array.from({ length: rng.int(0, 3) }, () => xmlValue(depth + 1)));
  return `{ ${uniqueNames(rng.int(0, 3))
    .filter((n) => !n.startsWith("'"))
    .map((n) => `${/^[0-9]/.test(n) ? `"${n}"` : n} = ${xmlValue(depth + 1)};`)
    .join(" ")} }`;
}

function xmlCases(count: number): string[] {
  return Array.from({ length: count }, () => `builtins.toXML ${xmlValue(0)}`);
}

// ---------------------------------------------------------------- running both

function allCases(): string[] {
  return [...regexCases(150), ...stringCases(30), ...versionCases(30), ...jsonCases(60), ...tomlCases(60), ...contextCases(10), ...xmlCases(20)];
}

function nixResults(cases: readonly string[]): string[] {
  const file = join(dir, "cases.nix");
  writeFileSync(file, Buffer.from(`[\n${cases.map((c) => `(builtins.toJSON (${c}))`).join("\n")}\n]\n`, "latin1"));
  const result = spawnSync("nix-instantiate", ["--eval", "--strict", "--json", file], { cwd: dir, encoding: "latin1", maxBuffer: 1 << 28, env: { ...process.env, NIX_PATH: "" } });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as string[];
}

function ourResult(state: EvalState, c: string): string {
  try {
    return stringText(state.evalText(`builtins.toJSON (${c})`, dir) as NixString);
  } catch (err) {
    if (err instanceof EvalError) return `error: ${err.message}`;
    throw err;
  }
}

describe("string, regex, serialisation, context and version builtins against Nix 2.8", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`agree on every seeded random call (seed ${SEED})`, () => {
    const cases = allCases();
    const nix = nixResults(cases);
    const glue = createGlue({ cacheDir: join(dir, "tvix-cache"), warn: () => {} });
    const state = new EvalState({ io: glue.io, extraBuiltins: glue.builtins });
    const mismatches = cases.flatMap((c, i) => {
      const ours = ourResult(state, c);
      return ours === nix[i] ? [] : [`${c}\n  nix:  ${nix[i]}\n  ours: ${ours}`];
    });
    assert.equal(cases.length, nix.length);
    assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} of ${cases.length} calls differ`);
  });
});
