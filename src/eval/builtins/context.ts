// String contexts made visible: unsafeDiscardStringContext, unsafeDiscardOutputDependency,
// hasContext, getContext and appendContext. getContext describes each store path of a
// context as `{ path = true; allOutputs = true; outputs = [ … ]; }` (only the parts that
// apply), and appendContext takes the same shape back.
import { parseStorePath } from "../../nix-compat/store-path.ts";
import { EvalError } from "../errors.ts";
import { showIdentifier } from "../print/identifier.ts";
import { coerceToString, INTERPOLATION } from "../runtime/coerce.ts";
import { forceAttrs, forceBool, forceList, forceString, forceStringNoContext } from "../runtime/force.ts";
import type { Pos } from "../position.ts";
import type { EvalState } from "../state.ts";
import { NixAttrs } from "../value/attrs.ts";
import { makeString, stringContext, stringText } from "../value/string.ts";
import { force } from "../value/thunk.ts";
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

/**
 * `check(v)` (forceBool, forceList…) with the position Nix passes along: evaluating `v` fails
 * where it fails, but a value of the wrong type is reported at `pos`.
 */
function at<T>(pos: Pos, v: Value, check: (v: Value) => T): T {
  const forced = force(v);
  try {
    return check(forced);
  } catch (err) {
    if (err instanceof EvalError) err.pos = pos;
    throw err;
  }
}

/** An attribute's value and where it was defined. */
function attrAt(attrs: NixAttrs, name: string): { value: Value; pos: Pos } | undefined {
  const i = attrs.shape.indexOf(name);
  return i < 0 ? undefined : { value: attrs.values[i], pos: attrs.posAt(i) };
}

/** Adds the context `{ path = { … }; … }` describes to `context` (appendContext's second argument). */
function addDescribedContext(state: EvalState, described: NixAttrs, context: Set<string>): void {
  described.names.forEach((path, i) => {
    const pos = described.posAt(i);
    // Nix shows the name as it shows attribute names (quoted unless an identifier).
    const shown = showIdentifier(path);
    if (!isStorePath(state, path)) throw new EvalError(`Context key '${shown}' is not a store path`, pos);
    const info = at(pos, described.values[i], forceAttrs);
    const isDrv = path.endsWith(".drv");
    const wantsPath = attrAt(info, "path");
    if (wantsPath !== undefined && at(wantsPath.pos, wantsPath.value, forceBool)) context.add(path);
    const allOutputs = attrAt(info, "allOutputs");
    if (allOutputs !== undefined && at(allOutputs.pos, allOutputs.value, forceBool)) {
      if (!isDrv) throw new EvalError(`Tried to add all-outputs context of ${shown}, which is not a derivation, to a string`, pos);
      context.add(`=${path}`);
    }
    const outputs = attrAt(info, "outputs");
    if (outputs === undefined) return;
    const names = at(outputs.pos, outputs.value, forceList);
    if (names.length > 0 && !isDrv) throw new EvalError(`Tried to add derivation output context of ${shown}, which is not a derivation, to a string`, pos);
    for (const name of names) context.add(`!${at(outputs.pos, name, forceStringNoContext)}!${path}`);
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
