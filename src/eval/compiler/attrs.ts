// Attribute-set literals (plain and `rec`) and `let`, as Nix 2.8 evaluates them: a rec set or
// a let gets an environment whose slots are its attributes, `inherit x;` is evaluated outside
// it, dynamic attributes (`${e} = …`) come last, and a rec set's `__overrides` replaces
// attributes both in the result and for the other attributes.
import { EvalError } from "../errors.ts";
import { type Pos, showPos } from "../position.ts";
import { forceAttrs, forceStringNoContext } from "../runtime/force.ts";
import type { AttrsExpr, DynamicAttrDef, LetExpr } from "../syntax/ast.ts";
import { Attr, NixAttrs } from "../value/attrs.ts";
import { force, Thunk } from "../value/thunk.ts";
import type { Value } from "../value/value.ts";
import type { Compiler } from "./compiler.ts";
import type { Code, Env, LazyCode } from "./env.ts";
import type { CompileScope } from "./scope.ts";

interface CompiledDef {
  readonly name: string;
  readonly pos: Pos;
  /** Evaluated in the environment outside the set/let (`inherit x;`) rather than inside. */
  readonly outside: boolean;
  readonly value: LazyCode;
}

interface CompiledDynamic {
  readonly name: Code;
  readonly value: LazyCode;
  readonly pos: Pos;
}

function compileDynamic(compiler: Compiler, defs: readonly DynamicAttrDef[], scope: CompileScope): CompiledDynamic[] {
  return defs.map((def) => ({ name: compiler.compile(def.name, scope), value: compiler.lazy(def.value, scope), pos: def.pos }));
}

function addDynamic(map: Map<string, Attr>, dynamic: readonly CompiledDynamic[], env: Env): void {
  for (const def of dynamic) {
    const nameValue = def.name(env);
    if (nameValue === null) continue;
    const name = forceStringNoContext(nameValue);
    const existing = map.get(name);
    if (existing) throw new EvalError(`dynamic attribute '${name}' already defined at ${showPos(existing.pos)}`, def.pos);
    map.set(name, new Attr(def.value(env), def.pos));
  }
}

export function compileAttrs(compiler: Compiler, e: AttrsExpr, scope: CompileScope): Code {
  const pos = e.pos;
  if (!e.rec) {
    const defs = e.attrs.map((def) => ({ name: def.name, pos: def.pos, value: compiler.lazy(def.value, scope) }));
    const dynamic = compileDynamic(compiler, e.dynamicAttrs, scope);
    return (env) => {
      const map = new Map<string, Attr>();
      for (const def of defs) map.set(def.name, new Attr(def.value(env), def.pos));
      if (dynamic.length > 0) addDynamic(map, dynamic, env);
      return new NixAttrs(map, pos);
    };
  }
  const inner = scope.plain();
  const overridesIndex = e.attrs.findIndex((def) => def.name === "__overrides");
  const defs: CompiledDef[] = e.attrs.map((def) => {
    const defScope = def.inherited ? scope : inner;
    // With __overrides Nix makes every non-inherited attribute a thunk.
    const code = overridesIndex >= 0 && !def.inherited ? compiler.compile(def.value, defScope) : undefined;
    const value: LazyCode = code ? (env) => new Thunk(code, env) : compiler.lazy(def.value, defScope);
    return { name: def.name, pos: def.pos, outside: def.inherited, value };
  });
  const dynamic = compileDynamic(compiler, e.dynamicAttrs, inner);
  const size = defs.length;
  return (env) => {
    const env2: Env = new Array(size + 1);
    env2[0] = env;
    const map = new Map<string, Attr>();
    for (let i = 0; i < size; i++) {
      const def = defs[i];
      const v = def.value(def.outside ? env : env2);
      env2[i + 1] = v;
      map.set(def.name, new Attr(v, def.pos));
    }
    if (overridesIndex >= 0) applyOverrides(map, defs, env2, env2[overridesIndex + 1] as Value);
    if (dynamic.length > 0) addDynamic(map, dynamic, env2);
    return new NixAttrs(map, pos);
  };
}

function applyOverrides(map: Map<string, Attr>, defs: readonly CompiledDef[], env2: Env, overrides: Value): void {
  const attrs = forceAttrs(force(overrides));
  for (const [name, attr] of attrs.map) {
    const index = defs.findIndex((def) => def.name === name);
    if (index >= 0) env2[index + 1] = attr.value;
    map.set(name, attr);
  }
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
