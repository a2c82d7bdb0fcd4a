// JavaScript's own limits (call stack depth, string and array lengths, heap size) are met
// where Nix would simply use more stack or memory. They are reported the way Nix reports
// running out: one clean `error:` line, never an internal error with a stack trace.

/** Nix's message for a blown stack (its stack-overflow handler). */
export const STACK_OVERFLOW = "stack overflow (possible infinite recursion)";
/** Nix's message for std::bad_alloc. */
export const OUT_OF_MEMORY = "out of memory";

/** V8's RangeErrors for allocations beyond its limits. */
const ALLOCATION_LIMIT = /^(Invalid (string|array|typed array) length|Array buffer allocation failed|(Map|Set) maximum size exceeded|Maximum BigInt size exceeded)/;

/** Nix's message when `err` means that a resource ran out, else undefined. */
export function resourceExhaustion(err: unknown): string | undefined {
  if (err instanceof RangeError) {
    if (err.message === "Maximum call stack size exceeded") return STACK_OVERFLOW;
    if (ALLOCATION_LIMIT.test(err.message)) return OUT_OF_MEMORY;
  }
  // A worker thread stopped at its heap limit.
  if ((err as { code?: unknown } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY") return OUT_OF_MEMORY;
  return undefined;
}
