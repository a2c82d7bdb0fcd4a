// What the compiler knows about the scopes around the code it compiles: one entry per runtime
// environment level, so it can tell `with` scopes (and how they chain) from ordinary ones,
// and find the global scope, whose values are fixed and read without walking environments.
import type { Value } from "../value/value.ts";

export class CompileScope {
  readonly parent: CompileScope | null;
  /** For a `with` scope: how many levels up the enclosing `with` is (0: none). Else -1. */
  readonly prevWith: number;
  /** For the global scope: its values, by slot. */
  readonly globals: readonly Value[] | null;

  private constructor(parent: CompileScope | null, prevWith: number, globals: readonly Value[] | null) {
    this.parent = parent;
    this.prevWith = prevWith;
    this.globals = globals;
  }

  static global(values: readonly Value[]): CompileScope {
    return new CompileScope(null, -1, values);
  }

  /** A scope of slots (let, rec, lambda, scopedImport's scope). */
  plain(): CompileScope {
    return new CompileScope(this, -1, null);
  }

  with(prevWith: number): CompileScope {
    return new CompileScope(this, prevWith, null);
  }

  at(levels: number): CompileScope {
    return levels === 0 ? this : (this.parent as CompileScope).at(levels - 1);
  }

  /** Levels (from this scope) of the `with` at `level` and of every `with` around it, innermost first. */
  withChain(level: number): number[] {
    const levels: number[] = [];
    let l = level;
    for (;;) {
      levels.push(l);
      const prev = this.at(l).prevWith;
      if (prev <= 0) return levels;
      l += prev;
    }
  }
}
