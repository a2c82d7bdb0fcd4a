// String contexts made visible: unsafeDiscardStringContext, unsafeDiscardOutputDependency,
// hasContext, getContext and appendContext. getContext describes each store path of a
// context as `{ path = true; allOutputs = true; outputs = [ … ]; }` (only the parts that
// apply), and appendContext takes the same shape back.
import { parseStorePath } from "../../nix-compat/store-path.ts";
import { EvalError } from "../errors.ts";
import { coerceToString, INTERPOLATION } from "../runtime/coerce.ts";
import { forceAttrs, forceBool, forceList, forceString, forceStringNoContext } from "../runtime/force.ts";
import type { EvalState } from "../state.ts";
import { NixAttrs } from "../value/attrs.ts";
import { makeString, stringContext, stringText } from "../value/string.ts";
import type { Value } from "../value/value.ts";
import { builtin, type Builtin } from "./registry.ts";

interface PathContext {
  path: boolean;
  allOutputs: boolean;
  outputs: string[];
}

/** The context grouped by store path, in Nix's order (entries sorted as encoded). */
function describeContext(context: Iterable<string>): NixAttrs {
  const byPath = new Map<string, PathContext>();
  const entry = (path: string) => {
    let info = byPath.get(path);
    if (info === undefined) byPath.set(path, (info = { path: false, allOutputs: false, outputs: [] }));
    return info;
  };
  for (const c of [...context].sort()) {
    if (c.startsWith("=")) entry(c.slice(1)).allOutputs = true;
    else if (c.startsWith("!")) {
      const end = c.indexOf("!", 1);
      entry(c.slice(end + 1)).outputs.push(c.slice(1, end));
    } else entry(c).path = true;
  }
  const paths = [...byPath.keys()];
  return NixAttrs.fromEntries(
    paths,
    paths.map((path) => {
      const info = byPath.get(path) as PathContext;
      const attrs: Record<string, Value> = {};
      if (info.path) attrs.path = true;
      if (info.allOutputs) attrs.allOutputs = true;
      if (info.outputs.length > 0) attrs.outputs = info.outputs;
      return NixAttrs.of(attrs);
    }),
  );
}

function isStorePath(state: EvalState, path: string): boolean {
  try {
    parseStorePath(path, state.io.storeDir);
    return true;
  } catch {
    return false;
  }
}

/** Adds the context `{ path = { … }; … }` describes to `context` (appendContext's second argument). */
function addDescribedContext(state: EvalState, described: NixAttrs, context: Set<string>): void {
  described.names.forEach((path, i) => {
    const pos = described.posAt(i);
    if (!isStorePath(state, path)) throw new EvalError(`Context key '${path}' is not a store path`, pos);
    const info = forceAttrs(described.values[i]);
    const isDrv = path.endsWith(".drv");
    const wantsPath = info.get("path");
    if (wantsPath !== undefined && forceBool(wantsPath)) context.add(path);
    const allOutputs = info.get("allOutputs");
    if (allOutputs !== undefined && forceBool(allOutputs)) {
      if (!isDrv) throw new EvalError(`Tried to add all-outputs context of ${path}, which is not a derivation, to a string`, pos);
      context.add(`=${path}`);
    }
    const outputs = info.get("outputs");
    if (outputs === undefined) return;
    const names = forceList(outputs);
    if (names.length > 0 && !isDrv) throw new EvalError(`Tried to add derivation output context of ${path}, which is not a derivation, to a string`, pos);
    for (const name of names) context.add(`!${forceStringNoContext(name)}!${path}`);
  });
}

export const contextBuiltins: Builtin[] = [
  builtin("__unsafeDiscardStringContext", 1, (state, s) => stringText(coerceToString(state, s, INTERPOLATION))),
  builtin("__unsafeDiscardOutputDependency", 1, (state, s) => {
    const str = coerceToString(state, s, INTERPOLATION);
    const context = new Set([...stringContext(str)].map((c) => (c.startsWith("=") ? c.slice(1) : c)));
    return makeString(stringText(str), context);
  }),
  builtin("__hasContext", 1, (_state, s) => stringContext(forceString(s)).size > 0),
  builtin("__getContext", 1, (_state, s) => describeContext(stringContext(forceString(s)))),
  builtin("__appendContext", 2, (state, s, described) => {
    const str = forceString(s);
    const context = new Set(stringContext(str));
    addDescribedContext(state, forceAttrs(described), context);
    return makeString(stringText(str), context);
  }),
];
