// The compiler: turns the AST (../syntax/ast.ts, variables already resolved) into closures
// over environments. Laziness follows Nix 2.8's maybeThunk exactly: literals and variables
// are used as they are, every other expression in a lazy position (list element, attribute,
// argument, binding) becomes a thunk. Besides being what Nix does, this keeps value identity
// (`[ f ] == [ f ]`, «repeated», <CODE> when printing) the same as in Nix.
import { AssertionError, UndefinedVarError } from "../errors.ts";
import { locate, type Pos } from "../position.ts";
import { valuesEqual } from "../runtime/equality.ts";
import { typeError } from "../runtime/force.ts";
import type { EvalState } from "../state.ts";
import type { Expr, VarExpr } from "../syntax/ast.ts";
import { showExpr } from "../syntax/show.ts";
import { NixAttrs } from "../value/attrs.ts";
import { NixFloat } from "../value/float.ts";
import { NixPath } from "../value/path.ts";
import { force, Thunk } from "../value/thunk.ts";
import type { ForcedValue, Value } from "../value/value.ts";
import { compileAttrs, compileLet } from "./attrs.ts";
import { compileCall, compileLambda } from "./call.ts";
import { type Code, type Env, type LazyCode, up } from "./env.ts";
import type { CompileScope } from "./scope.ts";
import { compileHasAttr, compileSelect } from "./select.ts";
import { compileConcatStrings } from "./strings.ts";

export class Compiler {
  readonly state: EvalState;

  constructor(state: EvalState) {
    this.state = state;
  }

  /** Code that evaluates `e` (to a forced value). */
  compile(e: Expr, scope: CompileScope): Code {
    switch (e.kind) {
      case "Int":
      case "Float":
      case "String":
      case "Path": {
        const value = literal(e);
        return () => value;
      }
      case "Var":
        return this.compileVar(e, scope);
      case "CurPos": {
        const pos = e.start;
        return () => positionValue(pos);
      }
      case "Select":
        return compileSelect(this, e, scope);
      case "HasAttr":
        return compileHasAttr(this, e, scope);
      case "Attrs":
        return compileAttrs(this, e, scope);
      case "List": {
        const items = e.items.map((item) => this.lazy(item, scope));
        return (env) => items.map((item) => item(env));
      }
      case "Lambda":
        return compileLambda(this, e, scope);
      case "Call":
        return compileCall(this, e, scope);
      case "Let":
        return compileLet(this, e, scope);
      case "With": {
        // A `with` environment: [parent, the set (lazily), the forced set once a variable was
        // looked up through it (Nix's HasWithExpr → HasWithAttrs)].
        const attrs = this.lazy(e.env, scope);
        const body = this.compile(e.body, scope.with(e.prevWith));
        return (env) => body([env, attrs(env), undefined]);
      }
      case "If": {
        const cond = this.compile(e.cond, scope);
        const then = this.compile(e.then, scope);
        const otherwise = this.compile(e.else, scope);
        const pos = e.start;
        return (env) => (evalBool(cond(env), pos) ? then(env) : otherwise(env));
      }
      case "Assert": {
        const cond = this.compile(e.cond, scope);
        const body = this.compile(e.body, scope);
        const pos = e.start;
        return (env) => {
          if (!evalBool(cond(env), pos)) throw new AssertionError(`assertion '${showExpr(e.cond)}' failed`, pos);
          return body(env);
        };
      }
      case "Not": {
        const operand = this.compile(e.expr, scope);
        return (env) => !evalBool(operand(env), 0);
      }
      case "Eq":
      case "NEq": {
        const left = this.compile(e.left, scope);
        const right = this.compile(e.right, scope);
        return e.kind === "Eq" ? (env) => valuesEqual(left(env), right(env)) : (env) => !valuesEqual(left(env), right(env));
      }
      case "And": {
        const left = this.compile(e.left, scope);
        const right = this.compile(e.right, scope);
        const pos = e.start;
        return (env) => evalBool(left(env), pos) && evalBool(right(env), pos);
      }
      case "Or": {
        const left = this.compile(e.left, scope);
        const right = this.compile(e.right, scope);
        const pos = e.start;
        return (env) => evalBool(left(env), pos) || evalBool(right(env), pos);
      }
      case "Impl": {
        const left = this.compile(e.left, scope);
        const right = this.compile(e.right, scope);
        const pos = e.start;
        return (env) => !evalBool(left(env), pos) || evalBool(right(env), pos);
      }
      case "Update": {
        const left = this.compile(e.left, scope);
        const right = this.compile(e.right, scope);
        return (env) => evalAttrs(left(env)).update(evalAttrs(right(env)));
      }
      case "ConcatLists": {
        const left = this.compile(e.left, scope);
        const right = this.compile(e.right, scope);
        const pos = e.start;
        return (env) => concatTwoLists(left(env), right(env), pos);
      }
      case "ConcatStrings":
        return compileConcatStrings(this, e, scope);
    }
  }

  /** Code that yields `e` lazily (Nix's maybeThunk). */
  lazy(e: Expr, scope: CompileScope): LazyCode {
    switch (e.kind) {
      case "Int":
      case "Float":
      case "String":
      case "Path":
        return this.compile(e, scope);
      case "Var":
        return this.lazyVar(e, scope);
      default: {
        // Compiled when first forced: most of a big file (all-packages.nix) is never evaluated.
        // Thunks made after that get the compiled code itself.
        let code: Code | null = null;
        const compileAndRun = (env: Env) => (code ??= this.compile(e, scope))(env);
        return (env) => new Thunk(code ?? compileAndRun, env);
      }
    }
  }

  private compileVar(e: VarExpr, scope: CompileScope): Code {
    const { level, index, pos } = e;
    const slot = index + 1;
    if (e.fromWith) return withLookup(e, scope);
    const globals = scope.at(level).globals;
    if (globals) {
      const value = globals[index];
      return () => force(value, pos);
    }
    switch (level) {
      case 0:
        return (env) => force(env[slot] as Value, pos);
      case 1:
        return (env) => force((env[0] as Env)[slot] as Value, pos);
      case 2:
        return (env) => force(((env[0] as Env)[0] as Env)[slot] as Value, pos);
      default:
        return (env) => force(up(env, level)[slot] as Value, pos);
    }
  }

  private lazyVar(e: VarExpr, scope: CompileScope): LazyCode {
    const code = this.compileVar(e, scope);
    const { level, index } = e;
    const slot = index + 1;
    if (e.fromWith) {
      // Nix looks the variable up right away if every `with` on the way is evaluated already.
      const chain = scope.withChain(level);
      const name = e.name;
      return (env) => {
        for (const l of chain) {
          const attrs = up(env, l)[2] as NixAttrs | undefined;
          if (attrs === undefined) return new Thunk(code, env);
          const v = attrs.get(name);
          if (v !== undefined) return v;
        }
        throw new UndefinedVarError(`undefined variable '${name}'`, e.pos);
      };
    }
    const globals = scope.at(level).globals;
    if (globals) {
      const value = globals[index];
      return () => value;
    }
    // A slot is still empty while its let/rec environment is being filled in.
    return (env) => {
      const v = up(env, level)[slot] as Value | undefined;
      return v !== undefined ? v : new Thunk(code, env);
    };
  }
}

function literal(e: Expr & { kind: "Int" | "Float" | "String" | "Path" }): ForcedValue {
  switch (e.kind) {
    case "Int":
    case "String":
      return e.value;
    case "Float":
      return new NixFloat(e.value);
    case "Path":
      return new NixPath(e.value);
  }
}

function withLookup(e: VarExpr, scope: CompileScope): Code {
  const chain = scope.withChain(e.level);
  const name = e.name;
  const pos = e.pos;
  return (env) => {
    for (const level of chain) {
      const withEnv = up(env, level);
      const attrs = (withEnv[2] ??= evalAttrs(force(withEnv[1] as Value))) as NixAttrs;
      const v = attrs.get(name);
      if (v !== undefined) return force(v, pos);
    }
    throw new UndefinedVarError(`undefined variable '${name}'`, pos);
  };
}

/** `__curPos` and `unsafeGetAttrPos`: `{ file, line, column }`, or null without a position. */
export function positionValue(pos: Pos): ForcedValue {
  const where = locate(pos);
  if (!where) return null;
  return NixAttrs.of({ column: where.column, file: where.source.fileName, line: where.line });
}

export function evalBool(v: ForcedValue, pos: Pos): boolean {
  if (typeof v === "boolean") return v;
  throw typeError(v, "a Boolean", pos);
}

export function evalAttrs(v: ForcedValue): NixAttrs {
  if (v instanceof NixAttrs) return v;
  throw typeError(v, "a set");
}

function concatTwoLists(a: ForcedValue, b: ForcedValue, pos: Pos): ForcedValue {
  if (!Array.isArray(a)) throw typeError(a, "a list", pos);
  if (!Array.isArray(b)) throw typeError(b, "a list", pos);
  // Like Nix, reuse a list when the other is empty.
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  return a.concat(b);
}
