// Attribute selection `e.a.b`, `e.a or d`, and the test `e ? a.b`.
import { EvalError } from "../errors.ts";
import type { Pos } from "../position.ts";
import { forceStringNoContext, typeError } from "../runtime/force.ts";
import type { AttrName, HasAttrExpr, SelectExpr } from "../syntax/ast.ts";
import { showAttrPath } from "../syntax/show.ts";
import { internName, NixAttrs } from "../value/attrs.ts";
import { force } from "../value/thunk.ts";
import type { ForcedValue } from "../value/value.ts";
import type { Compiler } from "./compiler.ts";
import type { Code, Env } from "./env.ts";
import type { CompileScope } from "./scope.ts";

type CompiledName = string | Code;

function compileNames(compiler: Compiler, path: readonly AttrName[], scope: CompileScope): CompiledName[] {
  return path.map((name) => (typeof name === "string" ? internName(name) : compiler.compile(name, scope)));
}

function nameOf(name: CompiledName, env: Env): string {
  return typeof name === "string" ? name : forceStringNoContext(name(env));
}

type ForceAttr = (attrs: NixAttrs, i: number, path: readonly AttrName[]) => ForcedValue;

function forceSelected(attrs: NixAttrs, i: number): ForcedValue {
  return force(attrs.values[i], attrs.posAt(i));
}

/** With --show-trace: an error gets Nix's "while evaluating the attribute" frame. */
function forceAttrTraced(attrs: NixAttrs, i: number, path: readonly AttrName[]): ForcedValue {
  const pos = attrs.posAt(i);
  if (pos === 0) return force(attrs.values[i]);
  try {
    return force(attrs.values[i]);
  } catch (err) {
    if (err instanceof EvalError) err.addTrace(pos, `while evaluating the attribute '${showAttrPath(path)}'`);
    throw err;
  }
}

function missing(name: string, pos: Pos): EvalError {
  return new EvalError(`attribute '${name}' missing`, pos);
}

export function compileSelect(compiler: Compiler, e: SelectExpr, scope: CompileScope): Code {
  const expr = compiler.compile(e.expr, scope);
  const names = compileNames(compiler, e.path, scope);
  const fallback = e.default ? compiler.compile(e.default, scope) : undefined;
  const pos = e.pos;
  const path = e.path;
  const only = names[0];
  const forceAttr: ForceAttr = compiler.state.showTrace ? forceAttrTraced : forceSelected;
  if (names.length === 1 && typeof only === "string" && fallback === undefined) {
    return (env) => {
      const v = expr(env);
      if (!(v instanceof NixAttrs)) throw typeError(v, "a set").atPos(pos);
      const i = v.shape.indexOf(only);
      if (i < 0) throw missing(only, pos);
      return forceAttr(v, i, path);
    };
  }
  return (env) => {
    let v = expr(env);
    let from: NixAttrs | undefined;
    let i = -1;
    for (const compiled of names) {
      const name = nameOf(compiled, env);
      if (from !== undefined) v = forceAttr(from, i, path);
      if (!(v instanceof NixAttrs)) {
        if (fallback) return fallback(env);
        throw typeError(v, "a set").atPos(pos);
      }
      from = v;
      i = v.shape.indexOf(name);
      if (i < 0) {
        if (fallback) return fallback(env);
        throw missing(name, pos);
      }
    }
    return forceAttr(from as NixAttrs, i, path);
  };
}

export function compileHasAttr(compiler: Compiler, e: HasAttrExpr, scope: CompileScope): Code {
  const expr = compiler.compile(e.expr, scope);
  const names = compileNames(compiler, e.path, scope);
  return (env) => {
    let v: ForcedValue = expr(env);
    for (let i = 0; i < names.length; i++) {
      const name = nameOf(names[i], env);
      if (!(v instanceof NixAttrs)) return false;
      const index = v.shape.indexOf(name);
      if (index < 0) return false;
      if (i < names.length - 1) v = force(v.values[index]);
    }
    return true;
  };
}
