// Attribute-set builtins.
import { EvalError } from "../errors.ts";
import { forceAttrs, forceList, forceStringNoContext } from "../runtime/force.ts";
import { Attr, NixAttrs } from "../value/attrs.ts";
import { force } from "../value/thunk.ts";
import type { Value } from "../value/value.ts";
import { builtin, type Builtin } from "./registry.ts";

/** The attribute a builtin requires, with Nix's error when it is missing. */
export function requireAttr(attrs: NixAttrs, name: string, builtinName: string): Attr {
  const attr = attrs.attr(name);
  if (attr === undefined) throw new EvalError(`attribute '${name}' missing for call to '${builtinName}'`);
  return attr;
}

export const attrsBuiltins: Builtin[] = [
  builtin("__attrNames", 1, (_state, set) => forceAttrs(set).sortedNames().slice()),
  builtin("__attrValues", 1, (_state, set) => {
    const attrs = forceAttrs(set);
    return attrs.sortedNames().map((name) => attrs.get(name) as Value);
  }),
  builtin("__getAttr", 2, (_state, name, set) => {
    const n = forceStringNoContext(name);
    return force(requireAttr(forceAttrs(set), n, "getAttr").value);
  }),
  builtin("__hasAttr", 2, (_state, name, set) => {
    const n = forceStringNoContext(name);
    return forceAttrs(set).has(n);
  }),
  builtin("removeAttrs", 2, (_state, set, names) => {
    const attrs = forceAttrs(set);
    const remove = forceList(names).map(forceStringNoContext);
    // Always a new set (sharing the map when nothing goes): printing tells sets apart by identity.
    if (!remove.some((name) => attrs.has(name))) return new NixAttrs(attrs.map);
    const map = new Map(attrs.map);
    for (const name of remove) map.delete(name);
    return new NixAttrs(map);
  }),
  builtin("__listToAttrs", 1, (_state, list) => {
    const map = new Map<string, Attr>();
    for (const elem of forceList(list)) {
      const entry = forceAttrs(elem);
      const name = forceStringNoContext(requireAttr(entry, "name", "listToAttrs").value);
      // The first occurrence of a name wins.
      if (!map.has(name)) map.set(name, requireAttr(entry, "value", "listToAttrs"));
    }
    return new NixAttrs(map);
  }),
];
