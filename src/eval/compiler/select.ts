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

function forceSelected(attrs: NixAttrs, i: number): ForcedValue {
  return force(attrs.values[i], attrs.posAt(i));
}

/** The path as Nix's trace shows it: dynamic names evaluated again, where that works. */
function shownPath(path: readonly AttrName[], names: readonly CompiledName[], env: Env): string {
  return path
    .map((name, k) => {
      const compiled = names[k];
      if (typeof compiled === "string") return showAttrPath([name]);
      try {
        return nameOf(compiled, env);
      } catch {
        return showAttrPath([name]);
      }
    })
    .join(".");
}

/** Where the last attribute a selection found is defined (0 before it found one). */
interface Found {
  pos: Pos;
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
  const showTrace = compiler.state.showTrace;
  if (!showTrace && names.length === 1 && typeof only === "string" && fallback === undefined) {
    return (env) => {
      const v = expr(env);
      if (!(v instanceof NixAttrs)) throw typeError(v, "a set", pos);
      const i = v.shape.indexOf(only);
      if (i < 0) throw missing(only, pos);
      return forceSelected(v, i);
    };
  }
  const select = (env: Env, found: Found | null): ForcedValue => {
    let v = expr(env);
    let from: NixAttrs | undefined;
    let i = -1;
    for (const compiled of names) {
      const name = nameOf(compiled, env);
      if (from !== undefined) v = forceSelected(from, i);
      if (!(v instanceof NixAttrs)) {
        if (fallback) return fallback(env);
        throw typeError(v, "a set", pos);
      }
      from = v;
      i = v.shape.indexOf(name);
      if (i < 0) {
        if (fallback) return fallback(env);
        throw missing(name, pos);
      }
      if (found !== null) found.pos = v.posAt(i);
    }
    return forceSelected(from as NixAttrs, i);
  };
  if (!showTrace) return (env) => select(env, null);
  // Nix's "while evaluating the attribute" frame, at the last attribute found, for any error
  // after one was found (a later one missing, forcing it, the `or` default).
  return (env) => {
    const found: Found = { pos: 0 };
    try {
      return select(env, found);
    } catch (err) {
      if (err instanceof EvalError && found.pos !== 0) err.addTrace(found.pos, `while evaluating the attribute '${shownPath(path, names, env)}'`);
      throw err;
    }
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
