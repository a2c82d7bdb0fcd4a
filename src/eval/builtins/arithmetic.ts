// The arithmetic builtins (and what `-`, `*`, `/`, `<` desugar to): ints wrap around as in
// Nix 2.8, and a float operand makes the operation a float one.
import { forceFloat, forceInt } from "../runtime/force.ts";
import { lessThan } from "../runtime/compare.ts";
import { NixFloat } from "../value/float.ts";
import { intAdd, intDiv, intMul, intSub, type NixInt, normalizeInt } from "../value/int.ts";
import { EvalError } from "../errors.ts";
import { force } from "../value/thunk.ts";
import type { Value } from "../value/value.ts";
import { builtin, type Builtin } from "./registry.ts";

function arithmetic(name: string, onInts: (a: NixInt, b: NixInt) => NixInt, onFloats: (a: number, b: number) => number): Builtin {
  return builtin(name, 2, (_state, a: Value, b: Value) => {
    const fa = force(a);
    const fb = force(b);
    if (typeof fa === "number" && typeof fb === "number") return onInts(fa, fb);
    if (fa instanceof NixFloat || fb instanceof NixFloat) return new NixFloat(onFloats(forceFloat(fa), forceFloat(fb)));
    return onInts(forceInt(fa), forceInt(fb));
  });
}

function bitwise(name: string, op: (a: bigint, b: bigint) => bigint): Builtin {
  return builtin(name, 2, (_state, a, b) => normalizeInt(op(BigInt(forceInt(a)), BigInt(forceInt(b)))));
}

/** C++'s conversion of a double to int64 on x86: out of range (or NaN) gives INT64_MIN. */
function floatToInt(x: number): NixInt {
  if (!(x >= -(2 ** 63) && x < 2 ** 63)) return -(2n ** 63n);
  return normalizeInt(BigInt(x));
}

export const arithmeticBuiltins: Builtin[] = [
  arithmetic("__add", intAdd, (a, b) => a + b),
  arithmetic("__sub", intSub, (a, b) => a - b),
  arithmetic("__mul", intMul, (a, b) => a * b),
  builtin("__div", 2, (_state, a, b) => {
    const fa = force(a);
    const fb = force(b);
    // Nix checks the divisor as a float first, so `1.0 / 0` fails too.
    if (forceFloat(fb) === 0) throw new EvalError("division by zero");
    if (fa instanceof NixFloat || fb instanceof NixFloat) return new NixFloat(forceFloat(fa) / forceFloat(fb));
    return intDiv(forceInt(fa), forceInt(fb));
  }),
  bitwise("__bitAnd", (a, b) => a & b),
  bitwise("__bitOr", (a, b) => a | b),
  bitwise("__bitXor", (a, b) => a ^ b),
  builtin("__ceil", 1, (_state, x) => floatToInt(Math.ceil(forceFloat(x)))),
  builtin("__floor", 1, (_state, x) => floatToInt(Math.floor(forceFloat(x)))),
  builtin("__lessThan", 2, (_state, a, b) => {
    const fa = force(a);
    const fb = force(b);
    return typeof fa === "number" && typeof fb === "number" ? fa < fb : lessThan(fa, fb);
  }),
];
