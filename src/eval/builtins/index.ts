// The builtins of the evaluator core, one group per file. A new group is one more file and
// one more line here; builtins that need a store (derivation, fetchers) come from glue code
// through EvalState's `extraBuiltins`.
import { arithmeticBuiltins } from "./arithmetic.ts";
import { attrsBuiltins } from "./attrs.ts";
import { constantBuiltins } from "./constants.ts";
import { controlBuiltins } from "./control.ts";
import { importBuiltins } from "./import.ts";
import { listBuiltins } from "./lists.ts";
import { regexBuiltins } from "./regex.ts";
import type { Builtin } from "./registry.ts";
import { stringBuiltins } from "./strings.ts";
import { typeBuiltins } from "./types.ts";

export const coreBuiltins: readonly Builtin[] = [
  ...constantBuiltins,
  ...typeBuiltins,
  ...arithmeticBuiltins,
  ...listBuiltins,
  ...attrsBuiltins,
  ...stringBuiltins,
  ...regexBuiltins,
  ...controlBuiltins,
  ...importBuiltins,
];
