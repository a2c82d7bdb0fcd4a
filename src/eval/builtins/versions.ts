// Package names and versions as nix-env sees them (Nix 2.8's names.cc): parseDrvName,
// compareVersions and splitVersion. Character classes are the C locale's (ASCII only).
import { forceStringNoContext } from "../runtime/force.ts";
import { NixAttrs } from "../value/attrs.ts";
import { builtin, type Builtin } from "./registry.ts";

const INT_MAX = 2147483647;

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

function isAlpha(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
}

/** Name and version: split at the first dash not followed by a letter. */
function parseDrvName(s: string): { name: string; version: string } {
  for (let i = 0; i + 1 < s.length; i++) {
    if (s[i] === "-" && !isAlpha(s[i + 1])) return { name: s.slice(0, i), version: s.slice(i + 1) };
  }
  return { name: s, version: "" };
}

/**
 * The version components starting at `from`: separators ('.', '-') are skipped, then a run
 * of digits or a run of other characters is one component ("" at the end).
 */
function nextComponent(v: string, from: number): { component: string; end: number } {
  let p = from;
  while (p < v.length && (v[p] === "." || v[p] === "-")) p++;
  const start = p;
  if (p < v.length && isDigit(v[p])) while (p < v.length && isDigit(v[p])) p++;
  else while (p < v.length && !isDigit(v[p]) && v[p] !== "." && v[p] !== "-") p++;
  return { component: v.slice(start, p), end: p };
}

/** A component as a C `int`, or null if it is not a number that fits (Nix's string2Int<int>). */
function componentNumber(c: string): number | null {
  if (c === "" || !isDigit(c[0])) return null;
  const digits = c.replace(/^0+(?=.)/, "");
  return digits.length > 10 || Number(digits) > INT_MAX ? null : Number(digits);
}

function componentLessThan(c1: string, c2: string): boolean {
  const n1 = componentNumber(c1);
  const n2 = componentNumber(c2);
  if (n1 !== null && n2 !== null) return n1 < n2;
  if (c1 === "" && n2 !== null) return true;
  if (c1 === "pre" && c2 !== "pre") return true;
  if (c2 === "pre") return false;
  // "2.3a" < "2.3.1": a number beats a word.
  if (n2 !== null) return true;
  if (n1 !== null) return false;
  return c1 < c2;
}

function compareVersions(v1: string, v2: string): number {
  let p1 = 0;
  let p2 = 0;
  while (p1 < v1.length || p2 < v2.length) {
    const c1 = nextComponent(v1, p1);
    const c2 = nextComponent(v2, p2);
    p1 = c1.end;
    p2 = c2.end;
    if (componentLessThan(c1.component, c2.component)) return -1;
    if (componentLessThan(c2.component, c1.component)) return 1;
  }
  return 0;
}

function splitVersion(v: string): string[] {
  const components: string[] = [];
  for (let p = 0; p < v.length; ) {
    const { component, end } = nextComponent(v, p);
    if (component === "") break;
    components.push(component);
    p = end;
  }
  return components;
}

export const versionBuiltins: Builtin[] = [
  builtin("__parseDrvName", 1, (_state, s) => {
    const { name, version } = parseDrvName(forceStringNoContext(s));
    return NixAttrs.of({ name, version });
  }),
  builtin("__compareVersions", 2, (_state, a, b) => {
    const v1 = forceStringNoContext(a);
    return compareVersions(v1, forceStringNoContext(b));
  }),
  builtin("__splitVersion", 1, (_state, s) => splitVersion(forceStringNoContext(s))),
];
