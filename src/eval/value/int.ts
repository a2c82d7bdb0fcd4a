// Nix integers are signed 64-bit. They live in a JS number while they are safe integers (the
// common case, fast) and in a bigint otherwise; every operation returns the normalised form,
// so a given Nix integer has exactly one JS representation and `===` compares them.
// Nix 2.8 does plain C++ int64 arithmetic: + - * wrap around on overflow (two's complement),
// division truncates towards zero.
import { EvalError } from "../errors.ts";

export type NixInt = number | bigint;

const MIN_SAFE = Number.MIN_SAFE_INTEGER;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const INT64_MIN = -(2n ** 63n);

/** The canonical representation of a 64-bit value given as a bigint (wrapped to 64 bits). */
export function normalizeInt(value: bigint): NixInt {
  const wrapped = BigInt.asIntN(64, value);
  return wrapped >= MIN_SAFE && wrapped <= MAX_SAFE ? Number(wrapped) : wrapped;
}

export function isNixInt(v: unknown): v is NixInt {
  return typeof v === "number" || typeof v === "bigint";
}

export function intAdd(a: NixInt, b: NixInt): NixInt {
  if (typeof a === "number" && typeof b === "number") {
    const r = a + b;
    if (r >= MIN_SAFE && r <= MAX_SAFE) return r;
  }
  return normalizeInt(BigInt(a) + BigInt(b));
}

export function intSub(a: NixInt, b: NixInt): NixInt {
  if (typeof a === "number" && typeof b === "number") {
    const r = a - b;
    if (r >= MIN_SAFE && r <= MAX_SAFE) return r;
  }
  return normalizeInt(BigInt(a) - BigInt(b));
}

export function intMul(a: NixInt, b: NixInt): NixInt {
  if (typeof a === "number" && typeof b === "number") {
    // A product of at most 2^53 in magnitude is exact in a double.
    const r = a * b;
    if (r >= MIN_SAFE && r <= MAX_SAFE) return r === 0 ? 0 : r;
  }
  return normalizeInt(BigInt(a) * BigInt(b));
}

/** Integer division as Nix 2.8: truncating, with its two errors. */
export function intDiv(a: NixInt, b: NixInt): NixInt {
  if (b === 0) throw new EvalError("division by zero");
  if (typeof a === "number" && typeof b === "number") {
    // `a % b` is exact, so `a - a % b` is an exact multiple of b and the quotient is exact.
    const q = (a - (a % b)) / b;
    return q === 0 ? 0 : q;
  }
  const big = BigInt(a);
  if (big === INT64_MIN && b === -1) throw new EvalError("overflow in integer division");
  return normalizeInt(big / BigInt(b));
}
