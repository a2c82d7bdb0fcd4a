// Thunks: evaluated once, black-holed while running (Nix's "infinite recursion encountered"),
// and runnable again after an exception once the catcher restores them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EvalError } from "../errors.ts";
import { force, forcingHeight, resetForcing, Thunk } from "./thunk.ts";

test("a thunk runs its code once", () => {
  let runs = 0;
  const t = new Thunk(() => ++runs, null);
  assert.equal(t.isEvaluated, false);
  assert.equal(force(t), 1);
  assert.equal(force(t), 1);
  assert.equal(t.isEvaluated, true);
});

test("forcing a thunk from within itself is infinite recursion", () => {
  const t: Thunk = new Thunk(() => force(t, 42), null);
  assert.throws(
    () => force(t),
    (e: unknown) => e instanceof EvalError && e.message === "infinite recursion encountered" && e.pos === 42,
  );
});

test("after an exception, a restored thunk runs again", () => {
  let fail = true;
  const t = new Thunk(() => {
    if (fail) throw new EvalError("first time");
    return "second time";
  }, null);
  const height = forcingHeight();
  assert.throws(() => force(t), /first time/);
  // Without restoring it is still black-holed, as the exception left it.
  assert.throws(() => force(t), /infinite recursion/);
  resetForcing(height);
  fail = false;
  assert.equal(force(t), "second time");
});
