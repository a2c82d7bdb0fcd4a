// Attribute-set builtins.
import { NixTypeError } from "../errors.ts";
import { positionValue } from "../compiler/compiler.ts";
import type { Pos } from "../position.ts";
import { lazyCall2 } from "../runtime/call.ts";
import { currentCallPos } from "../runtime/call-stack.ts";
import { forceAttrs, forceFunction, forceList, forceStringNoContext } from "../runtime/force.ts";
import { NixAttrs, Shape } from "../value/attrs.ts";
import { Lambda, PrimOp, PrimOpApp } from "../value/function.ts";
import { force } from "../value/thunk.ts";
import type { Value } from "../value/value.ts";
import { builtin, type Builtin } from "./registry.ts";

/**
 * The index of an attribute a builtin requires, with Nix's error when it is missing: at the
 * set's position when it has one (and the call in the trace), else at the call.
 */
export function requireAttr(attrs: NixAttrs, name: string, builtinName: string): number {
  const i = attrs.shape.indexOf(name);
  if (i >= 0) return i;
  const err = new NixTypeError(`attribute '${name}' missing for call to '${builtinName}'`, attrs.pos);
  if (attrs.pos !== 0) err.addTrace(currentCallPos(), `while invoking '${builtinName}'`);
  throw err;
}

/** The attributes of `attrs` at the given (ascending) indices, positions included. */
function subset(attrs: NixAttrs, keep: readonly number[]): NixAttrs {
  return new NixAttrs(
    new Shape(keep.map((i) => attrs.names[i])),
    keep.map((i) => attrs.values[i]),
    attrs.positions === null ? null : keep.map((i) => attrs.posAt(i)),
  );
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
  builtin("__unsafeGetAttrPos", 2, (_state, name, set) => {
    const n = forceStringNoContext(name);
    const attrs = forceAttrs(set);
    const i = attrs.shape.indexOf(n);
    return i < 0 ? null : positionValue(attrs.posAt(i));
  }),
  builtin("removeAttrs", 2, (_state, set, names) => {
    const attrs = forceAttrs(set);
    const gone = new Set(forceList(names).map(forceStringNoContext));
    // Always a new set, even when nothing goes: printing tells sets apart by identity.
    return subset(attrs, attrs.names.flatMap((name, i) => (gone.has(name) ? [] : [i])));
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
  builtin("__intersectAttrs", 2, (_state, a, b) => {
    const left = forceAttrs(a);
    const right = forceAttrs(b);
    const keep = left.names.flatMap((name) => {
      const i = right.shape.indexOf(name);
      return i < 0 ? [] : [i];
    });
    return subset(right, keep);
  }),
  builtin("__catAttrs", 2, (_state, name, list) => {
    const n = forceStringNoContext(name);
    return forceList(list).flatMap((elem) => {
      const attrs = forceAttrs(elem);
      const i = attrs.shape.indexOf(n);
      return i < 0 ? [] : [attrs.values[i]];
    });
  }),
  builtin("__functionArgs", 1, (_state, fn) => {
    const f = force(fn);
    if (f instanceof PrimOp || f instanceof PrimOpApp) return NixAttrs.EMPTY;
    if (!(f instanceof Lambda)) throw new NixTypeError("'functionArgs' requires a function");
    const formals = f.def.formals;
    if (formals === null) return NixAttrs.EMPTY;
    return NixAttrs.fromEntries(
      formals.map((formal) => formal.name),
      formals.map((formal) => formal.hasDefault),
      formals.map((formal) => formal.pos),
    );
  }),
  builtin("__mapAttrs", 2, (_state, fn, set) => {
    const attrs = forceAttrs(set);
    // Same names, so the same shape; Nix gives the new attributes no positions.
    return new NixAttrs(
      attrs.shape,
      attrs.values.map((value, i) => lazyCall2(fn, attrs.names[i], value)),
    );
  }),
  builtin("__zipAttrsWith", 2, (_state, fn, list) => {
    forceFunction(fn);
    const groups = new Map<string, Value[]>();
    for (const elem of forceList(list)) {
      const attrs = forceAttrs(elem);
      attrs.names.forEach((name, i) => {
        const group = groups.get(name);
        if (group) group.push(attrs.values[i]);
        else groups.set(name, [attrs.values[i]]);
      });
    }
    const names = [...groups.keys()];
    return NixAttrs.fromEntries(
      names,
      names.map((name) => lazyCall2(fn, name, groups.get(name) as Value[])),
    );
  }),
];
