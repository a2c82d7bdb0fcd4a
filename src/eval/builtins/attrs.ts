// Attribute-set builtins.
import { EvalError } from "../errors.ts";
import { forceAttrs, forceList, forceStringNoContext } from "../runtime/force.ts";
import { NixAttrs, Shape } from "../value/attrs.ts";
import type { Pos } from "../position.ts";
import { force } from "../value/thunk.ts";
import type { Value } from "../value/value.ts";
import { builtin, type Builtin } from "./registry.ts";

/** The index of an attribute a builtin requires, with Nix's error when it is missing. */
export function requireAttr(attrs: NixAttrs, name: string, builtinName: string): number {
  const i = attrs.shape.indexOf(name);
  if (i < 0) throw new EvalError(`attribute '${name}' missing for call to '${builtinName}'`);
  return i;
}

export const attrsBuiltins: Builtin[] = [
  builtin("__attrNames", 1, (_state, set) => forceAttrs(set).names.slice()),
  builtin("__attrValues", 1, (_state, set) => forceAttrs(set).values.slice()),
  builtin("__getAttr", 2, (_state, name, set) => {
    const n = forceStringNoContext(name);
    const attrs = forceAttrs(set);
    return force(attrs.values[requireAttr(attrs, n, "getAttr")]);
  }),
  builtin("__hasAttr", 2, (_state, name, set) => {
    const n = forceStringNoContext(name);
    return forceAttrs(set).has(n);
  }),
  builtin("removeAttrs", 2, (_state, set, names) => {
    const attrs = forceAttrs(set);
    const remove = forceList(names).map(forceStringNoContext);
    // Always a new set (sharing the arrays when nothing goes): printing tells sets apart by identity.
    if (!remove.some((name) => attrs.has(name))) return new NixAttrs(attrs.shape, attrs.values, attrs.positions);
    const gone = new Set(remove);
    const keep = attrs.names.flatMap((name, i) => (gone.has(name) ? [] : [i]));
    return new NixAttrs(
      new Shape(keep.map((i) => attrs.names[i])),
      keep.map((i) => attrs.values[i]),
      keep.map((i) => attrs.posAt(i)),
    );
  }),
  builtin("__listToAttrs", 1, (_state, list) => {
    const seen = new Set<string>();
    const names: string[] = [];
    const values: Value[] = [];
    const positions: Pos[] = [];
    for (const elem of forceList(list)) {
      const entry = forceAttrs(elem);
      const name = forceStringNoContext(entry.values[requireAttr(entry, "name", "listToAttrs")]);
      // The first occurrence of a name wins; the attribute keeps the position of `value`.
      if (seen.has(name)) continue;
      seen.add(name);
      const i = requireAttr(entry, "value", "listToAttrs");
      names.push(name);
      values.push(entry.values[i]);
      positions.push(entry.posAt(i));
    }
    return NixAttrs.fromEntries(names, values, positions);
  }),
];
