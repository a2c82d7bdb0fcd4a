// Expected values are what real Nix 2.8 prints (nix-instantiate --eval -E …).
import assert from "node:assert/strict";
import { test } from "node:test";
import { EvalError } from "../errors.ts";
import { intAdd, intDiv, intMul, intSub, normalizeInt } from "./int.ts";

const MAX = 9223372036854775807n;
const MIN = -9223372036854775808n;

test("small results stay JS numbers, large ones are bigints", () => {
  assert.equal(intAdd(2, 3), 5);
  assert.equal(intMul(2 ** 26, 2 ** 26), 2 ** 52);
  assert.equal(intMul(2 ** 27, 2 ** 27), 2n ** 54n);
  assert.equal(intAdd(Number.MAX_SAFE_INTEGER, 1), 2n ** 53n);
  assert.equal(intSub(2n ** 53n, 1), Number.MAX_SAFE_INTEGER);
  assert.equal(normalizeInt(42n), 42);
});

test("overflow wraps around like C++ int64 in Nix 2.8", () => {
  // 9223372036854775807 + 1 → -9223372036854775808
  assert.equal(intAdd(MAX, 1), MIN);
  // 9223372036854775807 * 2 → -2
  assert.equal(intMul(MAX, 2), -2);
  assert.equal(intSub(MIN, 1), MAX);
});

test("division truncates towards zero", () => {
  assert.equal(intDiv(7, -2), -3);
  assert.equal(intDiv(-7, 2), -3);
  assert.equal(intDiv(0, -5), 0);
  assert.ok(!Object.is(intDiv(0, -5), -0));
  assert.equal(intDiv(MAX, 2), 4611686018427387903n);
  assert.equal(intDiv(2 ** 53 - 1, 3), 3002399751580330);
});

test("division errors have Nix's messages", () => {
  assert.throws(() => intDiv(1, 0), (e: unknown) => e instanceof EvalError && e.message === "division by zero");
  assert.throws(() => intDiv(MIN, -1), (e: unknown) => e instanceof EvalError && e.message === "overflow in integer division");
});

test("agrees with BigInt arithmetic on random operands", () => {
  const samples = [0, 1, -1, 3, -7, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 53n, MAX, MIN, 123456789012345678n];
  for (const a of samples) {
    for (const b of samples) {
      const wrap = (x: bigint) => normalizeInt(BigInt.asIntN(64, x));
      assert.equal(intAdd(a, b), wrap(BigInt(a) + BigInt(b)), `${a} + ${b}`);
      assert.equal(intSub(a, b), wrap(BigInt(a) - BigInt(b)), `${a} - ${b}`);
      assert.equal(intMul(a, b), wrap(BigInt(a) * BigInt(b)), `${a} * ${b}`);
      if (BigInt(b) !== 0n && !(BigInt(a) === MIN && BigInt(b) === -1n)) assert.equal(intDiv(a, b), wrap(BigInt(a) / BigInt(b)), `${a} / ${b}`);
    }
  }
});
