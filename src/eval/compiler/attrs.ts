// Attribute-set literals (plain and `rec`) and `let`, as Nix 2.8 evaluates them: a rec set or
// a let gets an environment whose slots are its attributes, `inherit x;` is evaluated outside
// it, dynamic attributes (`${e} = …`) come last, and a rec set's `__overrides` replaces
// attributes both in the result and for the other attributes. A literal's names are sorted
// once, when compiling, and all the sets it makes share that Shape.
import { EvalError } from "../errors.ts";
import { type Pos, showPos } from "../position.ts";
import { forceAttrs, forceStringNoContext } from "../runtime/force.ts";
import type { AttrsExpr, DynamicAttrDef, LetExpr } from "../syntax/ast.ts";
import { internName, NixAttrs, Shape } from "../value/attrs.ts";
import { force, Thunk } from "../value/thunk.ts";
import type { Value } from "../value/value.ts";
import type { Compiler } from "./compiler.ts";
import type { Code, Env, LazyCode } from "./env.ts";
import type { CompileScope } from "./scope.ts";

interface CompiledDynamic {
  readonly name: Code;
  readonly value: LazyCode;
  readonly pos: Pos;
}

function compileDynamic(compiler: Compiler, defs: readonly DynamicAttrDef[], scope: CompileScope): CompiledDynamic[] {
  return defs.map((def) => ({ name: compiler.compile(def.name, scope), value: compiler.lazy(def.value, scope), pos: def.pos }));
}

/** The static attributes plus the dynamic ones (a null name leaves its attribute out). */
function addDynamic(attrs: NixAttrs, dynamic: readonly CompiledDynamic[], env: Env): NixAttrs {
  const names = attrs.names.slice();
  const values = attrs.values.slice();
  const positions = names.map((_, i) => attrs.posAt(i));
  const seen = new Map(names.map((name, i) => [name, positions[i]]));
  for (const def of dynamic) {
    const nameValue = def.name(env);
    if (nameValue === null) continue;
    const name = forceStringNoContext(nameValue);
    const previous = seen.get(name);
    if (previous !== undefined) throw new EvalError(`dynamic attribute '${name}' already defined at ${showPos(previous)}`, def.pos);
    seen.set(name, def.pos);
    names.push(name);
    values.push(def.value(env));
    positions.push(def.pos);
  }
  return NixAttrs.fromEntries(names, values, positions, attrs.pos);
}

/** The permutation that sorts the attributes by name. */
function sortedOrder(names: readonly string[]): number[] {
  return names.map((_, i) => i).sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
}

export function compileAttrs(compiler: Compiler, e: AttrsExpr, scope: CompileScope): Code {
  const pos = e.pos;
  const order = sortedOrder(e.attrs.map((def) => def.name));
  const shape = new Shape(order.map((i) => internName(e.attrs[i].name)));
  const positions = order.map((i) => e.attrs[i].pos);
  const size = order.length;
  if (!e.rec) {
    const values = order.map((i) => compiler.lazy(e.attrs[i].value, scope));
    const dynamic = compileDynamic(compiler, e.dynamicAttrs, scope);
    return (env) => {
      const result: Value[] = new Array(size);
      for (let k = 0; k < size; k++) result[k] = values[k](env);
      const attrs = new NixAttrs(shape, result, positions, pos);
      return dynamic.length > 0 ? addDynamic(attrs, dynamic, env) : attrs;
    };
  }
  const inner = scope.plain();
  const overridesSlot = e.attrs.findIndex((def) => def.name === "__overrides");
  // Values in slot order (E's scope gives rec attributes their slots in definition order).
  const slotValues: LazyCode[] = e.attrs.map((def) => {
    const defScope = def.inherited ? scope : inner;
    if (overridesSlot < 0 || def.inherited) return compiler.lazy(def.value, defScope);
    // With __overrides Nix makes every non-inherited attribute a thunk.
    const code = compiler.compile(def.value, defScope);
    return (env) => new Thunk(code, env);
  });
  const outside = e.attrs.map((def) => def.inherited);
  const slotNames = e.attrs.map((def) => def.name);
  const dynamic = compileDynamic(compiler, e.dynamicAttrs, inner);
  return (env) => {
    const env2: Env = new Array(size + 1);
    env2[0] = env;
    for (let i = 0; i < size; i++) env2[i + 1] = slotValues[i](outside[i] ? env : env2);
    const result: Value[] = new Array(size);
    for (let k = 0; k < size; k++) result[k] = env2[order[k] + 1] as Value;
    let attrs = new NixAttrs(shape, result, positions, pos);
    if (overridesSlot >= 0) attrs = applyOverrides(attrs, slotNames, env2, env2[overridesSlot + 1] as Value);
    return dynamic.length > 0 ? addDynamic(attrs, dynamic, env2) : attrs;
  };
}

/** `__overrides`: its attributes replace (or join) the rec set's, also for references inside it. */
function applyOverrides(attrs: NixAttrs, slotNames: readonly string[], env2: Env, overrides: Value): NixAttrs {
  const over = forceAttrs(force(overrides));
  over.names.forEach((name, i) => {
    const slot = slotNames.indexOf(name);
    if (slot >= 0) env2[slot + 1] = over.values[i];
  });
  const merged = attrs.update(over);
  return new NixAttrs(merged.shape, merged.values, merged.positions, attrs.pos);
}

export function compileLet(compiler: Compiler, e: LetExpr, scope: CompileScope): Code {
  const inner = scope.plain();
  const defs = e.attrs.map((def) => ({ outside: def.inherited, value: compiler.lazy(def.value, def.inherited ? scope : inner) }));
  const body = compiler.compile(e.body, inner);
  const size = defs.length;
  return (env) => {
    const env2: Env = new Array(size + 1);
    env2[0] = env;
    for (let i = 0; i < size; i++) {
      const def = defs[i];
      env2[i + 1] = def.value(def.outside ? env : env2);
    }
    return body(env2);
  };
}
