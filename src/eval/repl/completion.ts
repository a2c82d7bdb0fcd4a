// Tab completion as Nix 2.8's repl completes (NixRepl::completePrefix): the word before the
// cursor (after the last space or bracket) is a file path when it has a slash, an attribute
// path `expr.na` when it has a dot (`expr` is evaluated), and otherwise a variable name.
import { readdirSync } from "node:fs";
import { NixAttrs } from "../value/attrs.ts";
import type { ForcedValue } from "../value/value.ts";

export interface CompletionScope {
  /** Every name in scope (globals and the repl's variables). */
  variables(): Iterable<string>;
  /** Evaluates text in the repl's scope; throws when it cannot. */
  evaluate(text: string): ForcedValue;
}

export interface Completion {
  /** The end of the text that the completions replace. */
  word: string;
  /** Sorted, without duplicates. */
  completions: string[];
}

/** Completes the end of `prefix` (the input up to the cursor, a binary string). */
export function completeInScope(prefix: string, scope: CompletionScope): Completion {
  const start = Math.max(...[..." \n\r\t(){}[]"].map((c) => prefix.lastIndexOf(c)));
  const word = prefix.slice(start + 1);
  const found = new Set<string>();
  const slash = word.lastIndexOf("/");
  const dot = word.lastIndexOf(".");
  try {
    if (slash >= 0) {
      const dir = word.slice(0, slash);
      const begun = word.slice(slash + 1);
      for (const name of readdirSync(Buffer.from(dir === "" ? "/" : dir, "latin1"), { encoding: "latin1" })) {
        if (!name.startsWith(".") && name.startsWith(begun)) found.add(`${dir}/${name}`);
      }
    } else if (dot < 0) {
      for (const name of scope.variables()) if (name.startsWith(word)) found.add(name);
    } else {
      const expr = word.slice(0, dot);
      const begun = word.slice(dot + 1);
      const v = scope.evaluate(expr);
      if (v instanceof NixAttrs) for (const name of v.names) if (name.startsWith(begun)) found.add(`${expr}.${name}`);
    }
  } catch {
    // What cannot be completed (a missing directory, an expression that fails) has no completions, as in Nix.
  }
  return { word, completions: [...found].sort() };
}
