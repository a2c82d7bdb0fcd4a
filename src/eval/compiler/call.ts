// Functions: lambda literals become a CompiledLambda (the LambdaDef the runtime calls through)
// and calls evaluate the function, pass the arguments lazily, and give errors raised without
// a position (by builtins) the call's position.
import { EvalError, NixTypeError } from "../errors.ts";
import { type Pos, showPos } from "../position.ts";
import { call, call2, callMany } from "../runtime/call.ts";
import { currentCallPos, enterCall, leaveCall } from "../runtime/call-stack.ts";
import { forceAttrs } from "../runtime/force.ts";
import type { CallExpr, Expr, LambdaExpr } from "../syntax/ast.ts";
import { internName } from "../value/attrs.ts";
import { type Formal, Lambda, type LambdaDef, PrimOp } from "../value/function.ts";
import type { ForcedValue, Value } from "../value/value.ts";
import type { Compiler } from "./compiler.ts";
import type { Code, Env, LazyCode } from "./env.ts";
import type { CompileScope } from "./scope.ts";

interface CompiledFormal extends Formal {
  /** The default, evaluated lazily in the function's own environment. */
  readonly default: LazyCode | null;
}

class CompiledLambda implements LambdaDef {
  readonly name: string | null;
  readonly pos: Pos;
  readonly arg: string | null;
  readonly formals: readonly CompiledFormal[] | null;
  readonly ellipsis: boolean;
  /** Compiled on the first call (most functions of a large file are never called). */
  private body: Code | null = null;
  private readonly compileBody: () => Code;
  private readonly showTrace: boolean;

  constructor(e: LambdaExpr, formals: CompiledFormal[] | null, compileBody: () => Code, showTrace: boolean) {
    this.name = e.name ?? null;
    this.pos = e.start;
    this.arg = e.arg ?? null;
    this.formals = formals;
    this.ellipsis = e.formals?.ellipsis ?? false;
    this.compileBody = compileBody;
    this.showTrace = showTrace;
  }

  apply(closure: unknown, arg: Value): ForcedValue {
    const formals = this.formals;
    let env: Env;
    if (formals === null) {
      env = [closure, arg];
    } else {
      const attrs = forceAttrs(arg);
      env = new Array(formals.length + (this.arg === null ? 1 : 2));
      env[0] = closure;
      let slot = 1;
      if (this.arg !== null) env[slot++] = arg;
      let used = 0;
      for (const formal of formals) {
        const given = attrs.get(formal.name);
        if (given !== undefined) {
          env[slot++] = given;
          used++;
        } else if (formal.default !== null) {
          env[slot++] = formal.default(env);
        } else {
          throw this.missingArgument(attrs);
        }
      }
      if (!this.ellipsis && used !== attrs.size) throw this.unexpectedArgument(attrs.names);
    }
    const body = (this.body ??= this.compileBody());
    if (!this.showTrace) return body(env);
    // Nix's frames for an error in the body (not for a bad argument, found above), with the
    // position of the call: of the call expression, of the builtin calling, or none (map's lazy calls).
    const callPos = currentCallPos();
    try {
      return body(env);
    } catch (err) {
      if (err instanceof EvalError) {
        err.addTrace(this.pos, `while evaluating ${this.name === null ? "anonymous lambda" : `'${this.name}'`}`);
        err.addTrace(callPos, "from call site");
      }
      throw err;
    }
  }

  private describe(): string {
    return `${this.name === null ? "anonymous function" : `'${this.name}'`} at ${showPos(this.pos)}`;
  }

  /**
   * Nix checks the formals in the order of its symbols' addresses, which for new names is the
   * order they first appeared in; source order is the closest reproducible order.
   */
  private missingArgument(given: { has(name: string): boolean }): NixTypeError {
    const missing = (this.formals ?? []).find((f) => f.default === null && !given.has(f.name));
    return new NixTypeError(`${this.describe()} called without required argument '${missing?.name}'`);
  }

  private unexpectedArgument(names: readonly string[]): NixTypeError {
    const formals = new Set((this.formals ?? []).map((f) => f.name));
    const unexpected = names.find((name) => !formals.has(name));
    return new NixTypeError(`${this.describe()} called with unexpected argument '${unexpected}'`);
  }
}

export function compileLambda(compiler: Compiler, e: LambdaExpr, scope: CompileScope): Code {
  const inner = scope.plain();
  const formals = e.formals
    ? e.formals.entries.map((f) => ({ name: internName(f.name), hasDefault: f.default !== undefined, pos: f.pos, default: f.default ? compiler.lazy(f.default, inner) : null }))
    : null;
  const def = new CompiledLambda(e, formals, () => compiler.compile(e.body, inner), compiler.state.showTrace);
  return (env) => new Lambda(def, env);
}

export function compileCall(compiler: Compiler, e: CallExpr, scope: CompileScope): Code {
  const args = e.args.map((arg) => compiler.lazy(arg, scope));
  const pos = e.start;
  const primop = globalPrimOp(e.fn, scope);
  if (primop !== undefined && primop.arity === args.length) return primOpCall(primop, args, pos);
  const fn = compiler.compile(e.fn, scope);
  switch (args.length) {
    case 1: {
      const [arg0] = args;
      return (env) => {
        const f = fn(env);
        const a = arg0(env);
        enterCall(pos);
        const result = call(f, a);
        leaveCall();
        return result;
      };
    }
    case 2: {
      const [arg0, arg1] = args;
      return (env) => {
        const f = fn(env);
        const a = arg0(env);
        const b = arg1(env);
        enterCall(pos);
        const result = call2(f, a, b);
        leaveCall();
        return result;
      };
    }
    default:
      return (env) => {
        const f = fn(env);
        const values = args.map((arg) => arg(env));
        enterCall(pos);
        const result = callMany(f, values);
        leaveCall();
        return result;
      };
  }
}

/** The primop a call's function is, when it is a global variable (`__sub` from `a - b`). */
function globalPrimOp(fn: Expr, scope: CompileScope): PrimOp | undefined {
  if (fn.kind !== "Var" || fn.fromWith) return undefined;
  const value = scope.at(fn.level).globals?.[fn.index];
  return value instanceof PrimOp ? value : undefined;
}

/** A global primop given all its arguments: straight to its implementation. */
function primOpCall(primop: PrimOp, args: readonly LazyCode[], pos: Pos): Code {
  const { impl, state } = primop;
  switch (args.length) {
    case 1: {
      const [arg0] = args;
      return (env) => {
        const a = arg0(env);
        enterCall(pos);
        const result = impl(state, a);
        leaveCall();
        return result;
      };
    }
    case 2: {
      const [arg0, arg1] = args;
      return (env) => {
        const a = arg0(env);
        const b = arg1(env);
        enterCall(pos);
        const result = impl(state, a, b);
        leaveCall();
        return result;
      };
    }
    default:
      return (env) => {
        const values = args.map((arg) => arg(env));
        enterCall(pos);
        const result = impl(state, ...values);
        leaveCall();
        return result;
      };
  }
}
