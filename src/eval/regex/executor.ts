// Running a compiled regex the way libstdc++'s depth-first _Executor does for POSIX grammars,
// which is what decides Nix 2.8's results where regex flavours disagree:
//
// - `|` tries the left branch first but always tries the right one too; for a search the
//   longest match wins, the first found among equally long ones (so `split "(a|ab)" "abc"`
//   finds "ab"), while a whole-string match takes the first one found (`match
//   "(a|ab)(c|bcd)(d*)" "abcd"` is [ "a" "bcd" "" ]).
// - Greedy loops go round once more first and stop exploring after a success; a loop may go
//   round twice without consuming anything (`match "(a*)+" "aa"` is [ "" ]).
// - Groups keep what they matched in earlier iterations (`match "((a)|b)*" "ab"` is
//   [ "b" "a" ]).
// - `.` matches any byte but NUL, newlines included.
//
// libstdc++ recurses once per state; this does the same walk with an explicit stack of
// "what to do after returning" frames, so long inputs cannot overflow the JS stack.
import { ANY_BUT_NUL, type Nfa, Op, TABLE } from "./nfa.ts";

/** regex_constants::match_flag_type bits that Nix's calls use. */
const NOT_NULL = 1;
const CONTINUOUS = 2;
const PREV_AVAIL = 4;

/** Stack frames, four ints each: [kind, a, b, c]. */
const REPEAT_SKIP = 0; // a = repeat state, b = position: go on past the loop unless solved
const RESTORE_REPEAT = 1; // a = repeat state, b/c = its saved position/count
const RESTORE_START = 2; // a = group, b = saved start
const RESTORE_END = 3; // a = group, b = saved end, c = saved matched flag
const ALTERNATIVE_NEXT = 4; // a = alternative state, b = position: try the right branch
const MERGE_SOLVED = 5; // a = whether a solution was found before the right branch

/**
 * Match positions: [start0, end0, start1, end1, …] for group 0 (the whole match) and each
 * group, -1 for groups that did not take part.
 */
export type MatchPositions = Int32Array;

export class Regex {
  private readonly op: Uint8Array;
  private readonly next: Int32Array;
  private readonly alt: Int32Array;
  private readonly group: Int32Array;
  private readonly byte: Int32Array;
  private readonly tables: readonly (Uint8Array | null)[];
  /** Groups including group 0. */
  readonly groupCount: number;
  /** The bytes a match can start with, or null if a match can be empty (then any position may match). */
  private readonly firstBytes: Uint8Array | null;

  // Scratch state of one run, reused: matching never re-enters evaluation.
  private readonly repeatPos: Int32Array;
  private readonly repeatCount: Int32Array;
  private readonly current: Int32Array;
  private readonly currentMatched: Uint8Array;
  private readonly best: Int32Array;
  private readonly bestMatched: Uint8Array;
  private frames = new Int32Array(1024);
  private sp = 0;
  private input = "";
  private begin = 0;
  private flags = 0;
  private solved = false;
  private solutionEnd = -1;

  constructor(nfa: Nfa) {
    this.op = Uint8Array.from(nfa.op);
    this.next = Int32Array.from(nfa.next);
    this.alt = Int32Array.from(nfa.alt);
    this.group = Int32Array.from(nfa.group);
    this.byte = Int32Array.from(nfa.byte);
    this.tables = nfa.table;
    this.groupCount = nfa.groupCount;
    this.repeatPos = new Int32Array(nfa.size);
    this.repeatCount = new Int32Array(nfa.size);
    this.current = new Int32Array(2 * nfa.groupCount);
    this.currentMatched = new Uint8Array(nfa.groupCount);
    this.best = new Int32Array(2 * nfa.groupCount);
    this.bestMatched = new Uint8Array(nfa.groupCount);
    this.firstBytes = this.computeFirstBytes();
  }

  /** Follows every transition that consumes nothing from the start state. */
  private computeFirstBytes(): Uint8Array | null {
    const first = new Uint8Array(256);
    const seen = new Uint8Array(this.op.length);
    const pending = [0];
    while (pending.length > 0) {
      const s = pending.pop() as number;
      if (seen[s]) continue;
      seen[s] = 1;
      switch (this.op[s]) {
        case Op.Accept:
          return null;
        case Op.Match: {
          const b = this.byte[s];
          if (b >= 0) first[b] = 1;
          else if (b === ANY_BUT_NUL) first.fill(1, 1);
          else (this.tables[s] as Uint8Array).forEach((on, c) => (first[c] |= on));
          break;
        }
        case Op.Alternative:
        case Op.Repeat:
          pending.push(this.next[s], this.alt[s]);
          break;
        default:
          pending.push(this.next[s]);
      }
    }
    return first;
  }

  /** Whether a match could start at `pos` (a cheap test that saves running the matcher). */
  private mayStartAt(pos: number): boolean {
    return this.firstBytes === null || (pos < this.input.length && this.firstBytes[this.input.charCodeAt(pos)] === 1);
  }

  /** std::regex_match: the whole input must match. */
  matchWhole(input: string): MatchPositions | null {
    this.input = input;
    this.begin = 0;
    this.flags = 0;
    return this.run(true) ? this.result() : null;
  }

  /** Every match std::cregex_iterator visits, in order (what `split` splits at). */
  matchAll(input: string): MatchPositions[] {
    this.input = input;
    const found: MatchPositions[] = [];
    let flags = 0;
    let m = this.search(0, flags);
    while (m !== null) {
      found.push(m);
      let start = m[1];
      if (m[0] === start) {
        // After an empty match: a non-empty one right there, else search on from the next byte.
        if (start === input.length) break;
        const nonEmpty = this.search(start, flags | NOT_NULL | CONTINUOUS);
        if (nonEmpty !== null) {
          m = nonEmpty;
          continue;
        }
        start++;
      }
      flags |= PREV_AVAIL;
      m = this.search(start, flags);
    }
    return found;
  }

  /** std::regex_search from `from`: the leftmost start position with a match. */
  private search(from: number, flags: number): MatchPositions | null {
    this.flags = flags;
    this.begin = from;
    if (this.mayStartAt(from) && this.run(false)) return this.result();
    if (flags & CONTINUOUS) return null;
    this.flags |= PREV_AVAIL;
    while (this.begin < this.input.length) {
      this.begin++;
      if (this.mayStartAt(this.begin) && this.run(false)) return this.result();
    }
    return null;
  }

  private result(): MatchPositions {
    const out = new Int32Array(2 * this.groupCount).fill(-1);
    for (let g = 0; g < this.groupCount; g++) {
      if (!this.bestMatched[g]) continue;
      out[2 * g] = this.best[2 * g];
      out[2 * g + 1] = this.best[2 * g + 1];
    }
    return out;
  }

  private push(kind: number, a: number, b: number, c: number): void {
    if (this.sp + 4 > this.frames.length) {
      const bigger = new Int32Array(this.frames.length * 2);
      bigger.set(this.frames);
      this.frames = bigger;
    }
    const f = this.frames;
    f[this.sp] = kind;
    f[this.sp + 1] = a;
    f[this.sp + 2] = b;
    f[this.sp + 3] = c;
    this.sp += 4;
  }

  private atBegin(pos: number): boolean {
    return pos === this.begin && !(this.flags & PREV_AVAIL);
  }

  /** One depth-first walk from the start state at `begin` (libstdc++'s _M_main_dispatch). */
  private run(wholeInput: boolean): boolean {
    const { op, next, alt, group, byte, tables, input, repeatPos, repeatCount, current, currentMatched } = this;
    const end = input.length;
    this.solved = false;
    this.solutionEnd = -1;
    currentMatched.fill(0);
    this.sp = 0;
    let state = 0;
    let pos = this.begin;
    for (;;) {
      // Follow transitions from (state, pos) until a dead end or the accepting state.
      explore: for (;;) {
        switch (op[state]) {
          case Op.Match: {
            if (pos === end) break explore;
            const c = input.charCodeAt(pos);
            const b = byte[state];
            const ok = b >= 0 ? c === b : b === ANY_BUT_NUL ? c !== 0 : b === TABLE && (tables[state] as Uint8Array)[c] === 1;
            if (!ok) break explore;
            pos++;
            state = next[state];
            continue;
          }
          case Op.Alternative:
            this.push(ALTERNATIVE_NEXT, state, pos, 0);
            state = alt[state];
            continue;
          case Op.Repeat:
            this.push(REPEAT_SKIP, state, pos, 0);
            // Once more round the loop; at the same position at most twice (no endless empty loops).
            if (repeatCount[state] === 0 || repeatPos[state] !== pos) {
              this.push(RESTORE_REPEAT, state, repeatPos[state], repeatCount[state]);
              repeatPos[state] = pos;
              repeatCount[state] = 1;
            } else if (repeatCount[state] < 2) {
              this.push(RESTORE_REPEAT, state, pos, repeatCount[state]);
              repeatCount[state]++;
            } else break explore;
            state = alt[state];
            continue;
          case Op.SubexprBegin: {
            const g = group[state];
            this.push(RESTORE_START, g, current[2 * g], 0);
            current[2 * g] = pos;
            state = next[state];
            continue;
          }
          case Op.SubexprEnd: {
            const g = group[state];
            this.push(RESTORE_END, g, current[2 * g + 1], currentMatched[g]);
            current[2 * g + 1] = pos;
            currentMatched[g] = 1;
            state = next[state];
            continue;
          }
          case Op.LineBegin:
            if (!this.atBegin(pos)) break explore;
            state = next[state];
            continue;
          case Op.LineEnd:
            if (pos !== end) break explore;
            state = next[state];
            continue;
          case Op.Accept:
            if (this.accept(pos, wholeInput)) {
              this.abandon();
              return true;
            }
            break explore;
          default:
            state = next[state];
            continue;
        }
      }
      // Return from the walk, running what each pending frame does afterwards.
      unwind: for (;;) {
        if (this.sp === 0) return this.solved;
        this.sp -= 4;
        const f = this.frames;
        const a = f[this.sp + 1];
        const b = f[this.sp + 2];
        switch (f[this.sp]) {
          case REPEAT_SKIP:
            if (this.solved) continue;
            state = next[a];
            pos = b;
            break unwind;
          case RESTORE_REPEAT:
            repeatPos[a] = b;
            repeatCount[a] = f[this.sp + 3];
            continue;
          case RESTORE_START:
            current[2 * a] = b;
            continue;
          case RESTORE_END:
            current[2 * a + 1] = b;
            currentMatched[a] = f[this.sp + 3];
            continue;
          case ALTERNATIVE_NEXT:
            this.push(MERGE_SOLVED, this.solved ? 1 : 0, 0, 0);
            this.solved = false;
            state = next[a];
            pos = b;
            break unwind;
          case MERGE_SOLVED:
            if (a) this.solved = true;
            continue;
        }
      }
    }
  }

  /**
   * The accepting state reached at `pos`. Returns true when no later solution could replace
   * this one (libstdc++ keeps walking, to the same effect).
   */
  private accept(pos: number, wholeInput: boolean): boolean {
    this.solved = wholeInput ? pos === this.input.length : true;
    if (pos === this.begin && this.flags & NOT_NULL) this.solved = false;
    if (!this.solved) return false;
    // POSIX: a longer match replaces an earlier one, an equally long one does not.
    if (this.solutionEnd === -1 || this.solutionEnd < pos) {
      this.solutionEnd = pos;
      this.best.set(this.current);
      this.bestMatched.set(this.currentMatched);
    }
    return pos === this.input.length;
  }

  /** Drops the pending frames, restoring the loop counters they would have restored. */
  private abandon(): void {
    const f = this.frames;
    while (this.sp > 0) {
      this.sp -= 4;
      if (f[this.sp] === RESTORE_REPEAT) {
        this.repeatPos[f[this.sp + 1]] = f[this.sp + 2];
        this.repeatCount[f[this.sp + 1]] = f[this.sp + 3];
      }
    }
  }
}
