// Forcing a value completely (`--strict`, `deepSeq`): every list element and attribute value
// recursively, each cell once, like Nix's forceValueDeep. Attributes go in name order, so the
// first error is the one Nix reports; it gets a "while evaluating the attribute" trace frame.
import { EvalError } from "../errors.ts";
import { NixAttrs } from "../value/attrs.ts";
import { force } from "../value/thunk.ts";
import type { Value } from "../value/value.ts";

export function forceDeep(v: Value): void {
  forceCell(v, new Set());
}

function forceCell(v: Value, seen: Set<unknown>): void {
  const f = force(v);
  // Cells are thunks or directly stored containers; primitives need no recursion.
  if (typeof f !== "object" || f === null) return;
  if (seen.has(v)) return;
  seen.add(v);
  if (f instanceof NixAttrs) {
    for (let i = 0; i < f.size; i++) {
      try {
        forceCell(f.values[i], seen);
      } catch (err) {
        if (err instanceof EvalError) err.addTrace(f.posAt(i), `while evaluating the attribute '${f.names[i]}'`);
        throw err;
      }
    }
  } else if (Array.isArray(f)) {
    for (const elem of f) forceCell(elem, seen);
  }
}
