// `match` and `split`: POSIX extended regular expressions over bytes, with the results of
// libstdc++'s std::regex as Nix 2.8 uses it (see ../regex/executor.ts for where those differ
// from other regex flavours). Compiled regexes are cached by their text, as in Nix.
import { EvalError } from "../errors.ts";
import { forceString, forceStringNoContext } from "../runtime/force.ts";
import { compileRegex } from "../regex/compiler.ts";
import { type MatchPositions, Regex } from "../regex/executor.ts";
import { RegexError } from "../regex/nfa.ts";
import { stringText } from "../value/string.ts";
import type { Value } from "../value/value.ts";
import { builtin, type Builtin } from "./registry.ts";

const cache = new Map<string, Regex>();

function regexFor(re: string): Regex {
  let regex = cache.get(re);
  if (regex === undefined) {
    try {
      regex = new Regex(compileRegex(re));
    } catch (err) {
      if (!(err instanceof RegexError)) throw err;
      throw new EvalError(err.kind === "space" ? `memory limit exceeded by regular expression '${re}'` : `invalid regular expression '${re}'`);
    }
    cache.set(re, regex);
  }
  return regex;
}

/** The groups of a match (group 0 excluded): their text, or null where a group took no part. */
function groupValues(input: string, m: MatchPositions): (string | null)[] {
  const groups: (string | null)[] = [];
  for (let g = 2; g < m.length; g += 2) groups.push(m[g] < 0 ? null : input.slice(m[g], m[g + 1]));
  return groups;
}

export const regexBuiltins: Builtin[] = [
  builtin("__match", 2, (_state, re, str) => {
    const regex = regexFor(forceStringNoContext(re));
    const input = stringText(forceString(str));
    const m = regex.matchWhole(input);
    return m === null ? null : groupValues(input, m);
  }),
  builtin("__split", 2, (_state, re, str) => {
    const regex = regexFor(forceStringNoContext(re));
    const s = forceString(str);
    const input = stringText(s);
    const matches = regex.matchAll(input);
    // Without a match the result holds the argument itself, context and all.
    if (matches.length === 0) return [s];
    const parts: Value[] = [];
    let prefixStart = 0;
    for (const m of matches) {
      parts.push(input.slice(prefixStart, m[0]), groupValues(input, m));
      prefixStart = m[1];
    }
    parts.push(input.slice(prefixStart));
    return parts;
  }),
];
