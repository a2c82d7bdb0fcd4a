// Bounded concurrency for I/O-heavy work (file uploads, blob copies): at most `limit` tasks run
// at once, and whoever starts one waits for a free slot, which is the backpressure that keeps a
// huge tree from queueing millions of tasks. After the first failure no new task starts.
export class TaskPool {
  private readonly limit: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private failure: { error: unknown } | undefined;

  constructor(limit: number) {
    this.limit = limit;
  }

  /**
   * Starts `task` once a slot is free (throwing the pool's first failure instead, if there was
   * one), and returns its outcome as `done`, which rejects if the task fails.
   */
  async start<T>(task: () => Promise<T>): Promise<{ done: Promise<T> }> {
    while (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.failure) throw this.failure.error;
    this.running++;
    const done = (async () => {
      try {
        return await task();
      } catch (error) {
        this.failure ??= { error };
        throw error;
      } finally {
        this.running--;
        // After a failure every waiter wakes up to learn of it; otherwise the next one starts.
        if (this.failure) for (const wake of this.waiting.splice(0)) wake();
        else this.waiting.shift()?.();
        if (this.running === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      }
    })();
    // The caller awaits `done` later; until then its rejection must not count as unhandled.
    done.catch(() => {});
    return { done };
  }

  /** Resolves once no task is running (after a failure, so nothing outlives its caller). */
  async idle(): Promise<void> {
    while (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}

/** Awaits every promise, then returns their values or throws the first rejection. */
export async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const values: T[] = [];
  for (const result of results) {
    if (result.status === "rejected") throw result.reason;
    values.push(result.value);
  }
  return values;
}
