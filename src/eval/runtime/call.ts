// Function application: lambdas run their body, primops run once all their arguments are
// there (fewer arguments make a PrimOpApp), and a set with `__functor` is called as
// `set.__functor set arg`.
import { NixTypeError } from "../errors.ts";
import { enterCall, leaveCall } from "./call-stack.ts";
import { NixAttrs } from "../value/attrs.ts";
import { Lambda, PrimOp, PrimOpApp } from "../value/function.ts";
import { force, Thunk } from "../value/thunk.ts";
import { type ForcedValue, showType, type Value } from "../value/value.ts";

function runPrimOp(p: PrimOp, args: readonly Value[]): ForcedValue {
  switch (args.length) {
    case 1:
      return p.impl(p.state, args[0]);
    case 2:
      return p.impl(p.state, args[0], args[1]);
    case 3:
      return p.impl(p.state, args[0], args[1], args[2]);
    default:
      return p.impl(p.state, ...args);
  }
}

/** Applies `fn` to one argument. */
export function call(fn: Value, arg: Value): ForcedValue {
  const f = force(fn);
  if (f instanceof Lambda) return f.def.apply(f.env, arg);
  if (f instanceof PrimOp) return f.arity === 1 ? f.impl(f.state, arg) : new PrimOpApp(f, [arg]);
  if (f instanceof PrimOpApp) {
    const args = [...f.args, arg];
    return args.length === f.primop.arity ? runPrimOp(f.primop, args) : new PrimOpApp(f.primop, args);
  }
  if (f instanceof NixAttrs) {
    const functor = f.get("__functor");
    if (functor !== undefined) return call(call(functor, f), arg);
  }
  throw new NixTypeError(`attempt to call something which is not a function but ${showType(f)}`);
}

/**
 * Applies `fn` to several arguments (`f a b c`), giving primops all they take at once instead
 * of building PrimOpApps.
 */
export function callMany(fn: Value, args: readonly Value[]): ForcedValue {
  let f = force(fn);
  let i = 0;
  while (i < args.length) {
    if (f instanceof PrimOp && f.arity > 1 && args.length - i >= f.arity) {
      const arity = f.arity;
      f = runPrimOp(f, args.slice(i, i + arity));
      i += arity;
    } else {
      f = call(f, args[i]);
      i++;
    }
  }
  return f;
}

/** Applies `fn` to two arguments (`fn a b`), without building a PrimOpApp for binary primops. */
export function call2(fn: Value, a: Value, b: Value): ForcedValue {
  const f = force(fn);
  if (f instanceof PrimOp && f.arity === 2) return f.impl(f.state, a, b);
  return call(call(f, a), b);
}

interface Application {
  readonly fn: Value;
  readonly arg: Value;
}

// Nix forces a lazy application without a position: errors in it that have none of their
// own get none from the call either, and --show-trace's "from call site" frame has none.
function runApplication(app: Application): ForcedValue {
  enterCall(0);
  const result = call(app.fn, app.arg);
  leaveCall();
  return result;
}

/** `fn arg` as a lazy value (Nix's tApp), for builtins whose results are lazy (map, genList…). */
export function lazyCall(fn: Value, arg: Value): Thunk {
  return new Thunk(runApplication, { fn, arg } satisfies Application);
}

interface Application2 {
  readonly fn: Value;
  readonly a: Value;
  readonly b: Value;
}

function runApplication2(app: Application2): ForcedValue {
  enterCall(0);
  const result = call2(app.fn, app.a, app.b);
  leaveCall();
  return result;
}

/** `fn a b` as a lazy value (mapAttrs, zipAttrsWith). */
export function lazyCall2(fn: Value, a: Value, b: Value): Thunk {
  return new Thunk(runApplication2, { fn, a, b } satisfies Application2);
}
