// NixAttrs against a plain Map model: sets from entries in any order, lookups, and `//` in
// both of its strategies (merge, and bulk copy for `big // small`), positions included.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../../test/support/seeded-random.ts";
import { NixAttrs, Shape } from "./attrs.ts";

function randomSet(random: SeededRandom, size: number, withPositions: boolean): NixAttrs {
  const names = [...new Set(Array.from({ length: size }, () => `n${random.int(0, 99)}`))];
  return NixAttrs.fromEntries(
    names,
    names.map((name) => `${name}@${random.int(0, 9)}`),
    withPositions ? names.map(() => random.int(1, 1000)) : undefined,
  );
}

test("names are sorted by bytes and found whatever the shape's size", () => {
  const attrs = NixAttrs.fromEntries(["b", "B", "\xe9", "a", "a-b"], [1, 2, 3, 4, 5]);
  assert.deepEqual(attrs.names, ["B", "a", "a-b", "b", "\xe9"]);
  assert.equal(attrs.get("\xe9"), 3);
  assert.equal(attrs.get("c"), undefined);
  const big = NixAttrs.fromEntries(
    Array.from({ length: 500 }, (_, i) => `k${i}`),
    Array.from({ length: 500 }, (_, i) => i),
  );
  // Enough lookups to go from binary search to the hash index.
  for (let round = 0; round < 3; round++) for (let i = 0; i < 500; i += 7) assert.equal(big.get(`k${i}`), i);
  assert.equal(big.get("k500"), undefined);
});

test("// agrees with a Map model (right side wins, positions follow)", () => {
  const random = new SeededRandom(5);
  for (let n = 0; n < 2000; n++) {
    const left = randomSet(random, random.int(0, 60), random.next() < 0.5);
    const right = randomSet(random, random.int(0, 10), random.next() < 0.5);
    const result = left.update(right);
    const model = new Map<string, [unknown, number]>();
    for (const set of [left, right]) set.names.forEach((name, i) => model.set(name, [set.values[i], set.posAt(i)]));
    const names = [...model.keys()].sort();
    assert.deepEqual(result.names, names);
    names.forEach((name, i) => {
      assert.equal(result.values[i], model.get(name)?.[0]);
      assert.equal(result.posAt(i), model.get(name)?.[1]);
      assert.equal(result.get(name), model.get(name)?.[0]);
    });
  }
});

test("// reuses an empty operand and keeps the shape when only replacing", () => {
  const big = NixAttrs.fromEntries(
    Array.from({ length: 100 }, (_, i) => `k${i}`),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.equal(big.update(NixAttrs.EMPTY), big);
  assert.equal(NixAttrs.EMPTY.update(big), big);
  const replaced = big.update(NixAttrs.of({ k5: "five" }));
  assert.equal(replaced.shape, big.shape);
  assert.equal(replaced.get("k5"), "five");
  assert.equal(big.get("k5"), 5);
  assert.notEqual(big.update(NixAttrs.of({ new: 1 })).shape, big.shape);
  assert.equal(new Shape(["a"]).indexOf("b"), -1);
});
