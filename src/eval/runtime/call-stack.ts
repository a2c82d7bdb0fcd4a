// The positions of the calls being evaluated, innermost last. An error raised without a
// position of its own (by a builtin, say) is reported at the innermost call, as Nix does.
//
// Keeping this stack explicitly, instead of catching and re-throwing at every call site,
// matters: re-throwing costs about a microsecond per frame in V8, which makes an error deep
// in a recursion (or the stack overflow of an infinite one) take seconds to minutes. Nothing
// is popped when an exception passes, so whoever catches one to carry on (tryEval) puts the
// stack back to its height from before.
import type { Pos } from "../position.ts";

const positions: Pos[] = [];
let depth = 0;

export function enterCall(pos: Pos): void {
  positions[depth++] = pos;
}

export function leaveCall(): void {
  depth--;
}

/** The innermost call's position (0 outside any call). */
export function currentCallPos(): Pos {
  return depth === 0 ? 0 : positions[depth - 1];
}

export function callDepth(): number {
  return depth;
}

/** Back to an earlier height, after catching an exception. */
export function resetCallDepth(height: number): void {
  depth = height;
}
