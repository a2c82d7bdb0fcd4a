// Variable resolution, Nix 2.8's bindVars: every variable is tied to the scope that binds it
// (a lambda's argument and formals, a let, a rec set, the global names), or else to the
// nearest enclosing `with`. Without either it is an error, raised at parse time as Nix does.
// Lexical bindings win over `with`, however deep the `with` is: `let a = 1; in with { a = 2; }; a`
// is 1.
import type { AttrDef, AttrName, Expr } from "./ast.ts";
import { ParseError } from "./parse-error.ts";

interface Scope {
  /** Name → slot; null for a `with`, whose names are only known when evaluating. */
  readonly names: Map<string, number> | null;
  readonly up: Scope | null;
}

/** Resolves every variable of `root`, whose free variables may be the `globals`. */
export function resolveScopes(root: Expr, globals: readonly string[]): void {
  resolve(root, { names: slots(globals), up: null });
}

function slots(names: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 0; i < names.length; i++) map.set(names[i], i);
  return map;
}

function resolve(e: Expr, scope: Scope): void {
  switch (e.kind) {
    case "Int":
    case "Float":
    case "String":
    case "Path":
    case "CurPos":
      return;
    case "Var": {
      let withLevel = -1;
      let level = 0;
      for (let s: Scope | null = scope; s; s = s.up, level++) {
        if (!s.names) {
          if (withLevel < 0) withLevel = level;
          continue;
        }
        const index = s.names.get(e.name);
        if (index !== undefined) {
          e.fromWith = false;
          e.level = level;
          e.index = index;
          return;
        }
      }
      if (withLevel < 0) throw new ParseError(`undefined variable '${e.name}'`, e.pos);
      e.fromWith = true;
      e.level = withLevel;
      return;
    }
    case "Select":
      resolve(e.expr, scope);
      if (e.default) resolve(e.default, scope);
      resolvePath(e.path, scope);
      return;
    case "HasAttr":
      resolve(e.expr, scope);
      resolvePath(e.path, scope);
      return;
    case "Attrs": {
      const inner = e.rec ? { names: slots(e.attrs.map((def) => def.name)), up: scope } : scope;
      resolveDefs(e.attrs, scope, inner);
      for (const def of e.dynamicAttrs) {
        resolve(def.name, inner);
        resolve(def.value, inner);
      }
      return;
    }
    case "List":
      for (const item of e.items) resolve(item, scope);
      return;
    case "Lambda": {
      const names: string[] = [];
      if (e.arg !== undefined) names.push(e.arg);
      if (e.formals) for (const formal of e.formals.entries) names.push(formal.name);
      const inner = { names: slots(names), up: scope };
      if (e.formals) for (const formal of e.formals.entries) if (formal.default) resolve(formal.default, inner);
      resolve(e.body, inner);
      return;
    }
    case "Call":
      resolve(e.fn, scope);
      for (const arg of e.args) resolve(arg, scope);
      return;
    case "Let": {
      const inner = { names: slots(e.attrs.map((def) => def.name)), up: scope };
      resolveDefs(e.attrs, scope, inner);
      resolve(e.body, inner);
      return;
    }
    case "With": {
      resolve(e.env, scope);
      let level = 1;
      e.prevWith = 0;
      for (let s: Scope | null = scope; s; s = s.up, level++) {
        if (!s.names) {
          e.prevWith = level;
          break;
        }
      }
      resolve(e.body, { names: null, up: scope });
      return;
    }
    case "If":
      resolve(e.cond, scope);
      resolve(e.then, scope);
      resolve(e.else, scope);
      return;
    case "Assert":
      resolve(e.cond, scope);
      resolve(e.body, scope);
      return;
    case "Not":
      resolve(e.expr, scope);
      return;
    case "ConcatStrings":
      for (const part of e.parts) resolve(part, scope);
      return;
    default:
      resolve(e.left, scope);
      resolve(e.right, scope);
  }
}

/** `inherit x;` reads x from outside the set or let; everything else is inside. */
function resolveDefs(defs: readonly AttrDef[], outer: Scope, inner: Scope): void {
  for (const def of defs) resolve(def.value, def.inherited ? outer : inner);
}

function resolvePath(path: readonly AttrName[], scope: Scope): void {
  for (const name of path) if (typeof name !== "string") resolve(name, scope);
}
