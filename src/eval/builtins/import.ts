// Loading Nix files: import, scopedImport and the search path lookup behind `<name>`
// (__findFile).
import { EvalError, ThrownError } from "../errors.ts";
import { coerceToString } from "../runtime/coerce.ts";
import { forceAttrs, forceList, forceStringNoContext } from "../runtime/force.ts";
import type { EvalState, SearchPathEntry } from "../state.ts";
import { NixPath } from "../value/path.ts";
import { type NixString, stringText } from "../value/string.ts";
import type { Value } from "../value/value.ts";
import { requireAttr } from "./attrs.ts";
import { builtin, type Builtin } from "./registry.ts";

/** The absolute path a value stands for, with its context (Nix's coerceToPath). */
export function coerceToPathString(state: EvalState, v: Value): NixString {
  const s = coerceToString(state, v, { coerceMore: false, copyToStore: false });
  const path = stringText(s);
  if (!path.startsWith("/")) throw new EvalError(`string '${path}' doesn't represent an absolute path`);
  return s;
}

/** The absolute path a value stands for. */
export function coerceToPath(state: EvalState, v: Value): string {
  return stringText(coerceToPathString(state, v));
}

export const importBuiltins: Builtin[] = [
  builtin("import", 1, (state, path) => state.evalFile(coerceToPath(state, path))),
  builtin("scopedImport", 2, (state, scope, path) => {
    const file = coerceToPath(state, path);
    return state.evalFileWithScope(file, forceAttrs(scope));
  }),
  builtin("__findFile", 2, (state, searchPath, name) => {
    const entries: SearchPathEntry[] = forceList(searchPath).map((elem) => {
      const attrs = forceAttrs(elem);
      const prefix = attrs.get("prefix");
      return {
        prefix: prefix === undefined ? "" : forceStringNoContext(prefix),
        path: stringText(coerceToString(state, attrs.values[requireAttr(attrs, "path", "findFile")], { coerceMore: false, copyToStore: false })),
      };
    });
    const wanted = forceStringNoContext(name);
    const found = state.findFile(entries, wanted);
    if (found === undefined) throw new ThrownError(`file '${wanted}' was not found in the Nix search path (add it using $NIX_PATH or -I)`);
    return new NixPath(found);
  }),
];
