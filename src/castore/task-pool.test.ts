import assert from "node:assert/strict";
import { setImmediate as tick } from "node:timers/promises";
import { test } from "node:test";
import { settleAll, TaskPool } from "./task-pool.ts";

test("runs at most `limit` tasks at once, starting the next as one ends", async () => {
  const pool = new TaskPool(3);
  let running = 0;
  let most = 0;
  const results: Promise<number>[] = [];
  for (let i = 0; i < 20; i++) {
    const { done } = await pool.start(async () => {
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
      return i * 2;
    });
    results.push(done);
  }
  assert.deepEqual(await settleAll(results), Array.from({ length: 20 }, (_, i) => i * 2));
  assert.equal(most, 3);
});

test("after a failure no task starts, waiters learn of it, and idle waits for the rest", async () => {
  const pool = new TaskPool(2);
  let finished = 0;
  const slow = await pool.start(async () => {
    await tick();
    await tick();
    finished++;
  });
  const failing = await pool.start(async () => {
    await tick();
    throw new Error("boom");
  });
  // Both slots are taken: this start waits, then sees the failure instead of starting.
  let started = false;
  await assert.rejects(
    pool.start(async () => {
      started = true;
    }),
    /boom/,
  );
  await assert.rejects(failing.done, /boom/);
  await pool.idle();
  assert.equal(finished, 1);
  assert.equal(started, false);
  await slow.done;
});

test("settleAll waits for every promise before reporting the first rejection", async () => {
  let late = false;
  const slow = (async () => {
    await tick();
    late = true;
  })();
  await assert.rejects(settleAll([Promise.reject(new Error("first")), slow, Promise.reject(new Error("second"))]), /first/);
  assert.equal(late, true);
});
