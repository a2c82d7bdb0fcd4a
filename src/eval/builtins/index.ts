// The builtins of the evaluator core, one group per file. A new group is one more file and
// one more line here; builtins that need a store (derivation, fetchers) come from glue code
// through EvalState's `extraBuiltins`.
import { arithmeticBuiltins } from "./arithmetic.ts";
import { attrsBuiltins } from "./attrs.ts";
import { constantBuiltins } from "./constants.ts";
import { contextBuiltins } from "./context.ts";
import { controlBuiltins } from "./control.ts";
import { environmentBuiltins } from "./environment.ts";
import { fileBuiltins } from "./files.ts";
import { hashingBuiltins } from "./hashing.ts";
import { importBuiltins } from "./import.ts";
import { jsonBuiltins } from "./json.ts";
import { listBuiltins } from "./lists.ts";
import { regexBuiltins } from "./regex.ts";
import type { Builtin } from "./registry.ts";
import { stringOpBuiltins } from "./string-ops.ts";
import { stringBuiltins } from "./strings.ts";
import { tomlBuiltins } from "./toml.ts";
import { typeBuiltins } from "./types.ts";
import { versionBuiltins } from "./versions.ts";
import { xmlBuiltins } from "./xml.ts";

export const coreBuiltins: readonly Builtin[] = [
  ...constantBuiltins,
  ...typeBuiltins,
  ...arithmeticBuiltins,
  ...listBuiltins,
  ...attrsBuiltins,
  ...stringBuiltins,
  ...regexBuiltins,
  ...stringOpBuiltins,
  ...versionBuiltins,
  ...hashingBuiltins,
  ...contextBuiltins,
  ...jsonBuiltins,
  ...tomlBuiltins,
  ...xmlBuiltins,
  ...controlBuiltins,
  ...importBuiltins,
  ...fileBuiltins,
  ...environmentBuiltins,
];
