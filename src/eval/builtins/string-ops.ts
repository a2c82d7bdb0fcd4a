// Operations on strings as byte sequences: substring, stringLength, concatStringsSep,
// replaceStrings, baseNameOf and dirOf. Results keep the context of the strings they were
// made from, as in Nix 2.8.
import { baseNameOf, dirOf } from "../../nix-compat/path-names.ts";
import { EvalError } from "../errors.ts";
import { coerceToString, INTERPOLATION } from "../runtime/coerce.ts";
import { forceInt, forceList, forceString } from "../runtime/force.ts";
import type { NixInt } from "../value/int.ts";
import { NixPath } from "../value/path.ts";
import { makeString, stringContext, stringText } from "../value/string.ts";
import { force } from "../value/thunk.ts";
import { builtin, type Builtin } from "./registry.ts";

/** Coercion that leaves paths as they are (baseNameOf, dirOf). */
const PATH_AS_TEXT = { coerceMore: false, copyToStore: false };

/** Nix 2.8 stores substring's arguments in C `int`s: the low 32 bits, signed. */
function toCInt(n: NixInt): number {
  return typeof n === "number" ? n | 0 : Number(BigInt.asIntN(32, n));
}

/**
 * Nix's replaceStrings: at each position the first pattern that matches is replaced; an
 * empty pattern matches everywhere (also at the end) and then the byte there is kept.
 */
function replaceAll(s: string, patterns: readonly string[], onMatch: (index: number) => string): string {
  // Only the patterns starting with the byte at hand (in order) and the first empty one can match.
  const empty = patterns.indexOf("");
  const byFirstByte: (number[] | undefined)[] = [];
  patterns.forEach((pattern, i) => {
    if (pattern !== "" && (empty < 0 || i < empty)) (byFirstByte[pattern.charCodeAt(0)] ??= []).push(i);
  });
  let out = "";
  let copied = 0;
  for (let p = 0; p <= s.length; ) {
    let i = empty;
    const candidates = p < s.length ? byFirstByte[s.charCodeAt(p)] : undefined;
    if (candidates !== undefined) {
      for (const c of candidates) {
        if (s.startsWith(patterns[c], p)) {
          i = c;
          break;
        }
      }
    }
    if (i < 0) {
      p++;
      continue;
    }
    out += s.slice(copied, p) + onMatch(i);
    if (patterns[i] === "") {
      // The byte after an empty match is kept.
      out += s.slice(p, p + 1);
      p++;
    } else p += patterns[i].length;
    copied = p;
  }
  return out + s.slice(copied);
}

export const stringOpBuiltins: Builtin[] = [
  builtin("__substring", 3, (state, start, length, s) => {
    const from = toCInt(forceInt(start));
    const len = toCInt(forceInt(length));
    const str = coerceToString(state, s, INTERPOLATION);
    if (from < 0) throw new EvalError("negative start position in 'substring'");
    const text = stringText(str);
    // A negative length becomes a huge size_t: everything up to the end.
    const sub = from >= text.length ? "" : len < 0 ? text.slice(from) : text.slice(from, from + len);
    return makeString(sub, stringContext(str));
  }),
  builtin("__stringLength", 1, (state, s) => stringText(coerceToString(state, s, INTERPOLATION)).length),
  builtin("__concatStringsSep", 2, (state, separator, list) => {
    const sep = forceString(separator);
    const context = new Set(stringContext(sep));
    const parts = forceList(list).map((elem) => {
      const part = coerceToString(state, elem, INTERPOLATION);
      for (const c of stringContext(part)) context.add(c);
      return stringText(part);
    });
    return makeString(parts.join(stringText(sep)), context);
  }),
  builtin("__replaceStrings", 3, (_state, from, to, s) => {
    const fromList = forceList(from);
    const toList = forceList(to);
    if (fromList.length !== toList.length) throw new EvalError("'from' and 'to' arguments to 'replaceStrings' have different lengths");
    const patterns = fromList.map((elem) => stringText(forceString(elem)));
    const replacements = toList.map((elem) => forceString(elem));
    const str = forceString(s);
    // A replacement's context joins the result's only if the replacement is used.
    const context = new Set(stringContext(str));
    const result = replaceAll(stringText(str), patterns, (i) => {
      for (const c of stringContext(replacements[i])) context.add(c);
      return stringText(replacements[i]);
    });
    return makeString(result, context);
  }),
  builtin("baseNameOf", 1, (state, s) => {
    const str = coerceToString(state, s, PATH_AS_TEXT);
    return makeString(baseNameOf(stringText(str)), stringContext(str));
  }),
  builtin("dirOf", 1, (state, s) => {
    const str = coerceToString(state, s, PATH_AS_TEXT);
    const dir = dirOf(stringText(str));
    return force(s) instanceof NixPath ? new NixPath(dir) : makeString(dir, stringContext(str));
  }),
];
