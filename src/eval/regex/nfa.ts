// The automaton a regex compiles to, built state by state as libstdc++'s _NFA is: the same
// states, the same copies for `{n,m}` intervals, and the same limit of 100000 states (beyond
// it Nix reports "memory limit exceeded by regular expression"). Matching walks this graph
// (executor.ts), so building it the same way is what makes results and limits come out as
// in Nix 2.8.

export const Op = {
  /** Try `alt`, then `next` (a `|`). */
  Alternative: 0,
  /** A loop or option: once more through `alt`, then on through `next`. */
  Repeat: 1,
  SubexprBegin: 2,
  SubexprEnd: 3,
  LineBegin: 4,
  LineEnd: 5,
  /** Consume one byte accepted by the state's matcher. */
  Match: 6,
  Accept: 7,
  /** Placeholder, skipped once the automaton is complete. */
  Dummy: 8,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/** What a Match state accepts: one byte (≥ 0), any byte but NUL, or a bracket expression's table. */
export const ANY_BUT_NUL = -1;
export const TABLE = -2;

const NONE = -1;
const STATE_LIMIT = 100000;

export class RegexError extends Error {
  /** "space": too many states (Nix's "memory limit exceeded"); "syntax": anything else. */
  readonly kind: "syntax" | "space";

  constructor(kind: "syntax" | "space", message: string) {
    super(message);
    this.kind = kind;
  }
}

export class Nfa {
  readonly op: Op[] = [];
  readonly next: number[] = [];
  readonly alt: number[] = [];
  /** Group number of SubexprBegin/End states. */
  readonly group: number[] = [];
  /** For Match states: a byte, ANY_BUT_NUL or TABLE. */
  readonly byte: number[] = [];
  readonly table: (Uint8Array | null)[] = [];
  /** Groups including group 0, the whole match. */
  groupCount = 0;
  private readonly openGroups: number[] = [];

  get size(): number {
    return this.op.length;
  }

  private insert(op: Op, next: number, alt: number, group: number, byte: number, table: Uint8Array | null): number {
    this.op.push(op);
    this.next.push(next);
    this.alt.push(alt);
    this.group.push(group);
    this.byte.push(byte);
    this.table.push(table);
    if (this.op.length > STATE_LIMIT) throw new RegexError("space", "too many NFA states");
    return this.op.length - 1;
  }

  insertSimple(op: typeof Op.LineBegin | typeof Op.LineEnd | typeof Op.Accept | typeof Op.Dummy): number {
    return this.insert(op, NONE, NONE, 0, 0, null);
  }

  insertAlternative(next: number, alt: number): number {
    return this.insert(Op.Alternative, next, alt, 0, 0, null);
  }

  insertRepeat(next: number, alt: number): number {
    return this.insert(Op.Repeat, next, alt, 0, 0, null);
  }

  insertMatch(byte: number, table: Uint8Array | null = null): number {
    return this.insert(Op.Match, NONE, NONE, 0, byte, table);
  }

  insertSubexprBegin(): number {
    const group = this.groupCount++;
    this.openGroups.push(group);
    return this.insert(Op.SubexprBegin, NONE, NONE, group, 0, null);
  }

  insertSubexprEnd(): number {
    return this.insert(Op.SubexprEnd, NONE, NONE, this.openGroups.pop() as number, 0, null);
  }

  hasAlt(state: number): boolean {
    return this.op[state] === Op.Alternative || this.op[state] === Op.Repeat;
  }

  /** Points every transition past Dummy states, which the executor then never meets. */
  eliminateDummies(): void {
    for (let s = 0; s < this.size; s++) {
      while (this.next[s] >= 0 && this.op[this.next[s]] === Op.Dummy) this.next[s] = this.next[this.next[s]];
      if (this.hasAlt(s)) while (this.alt[s] >= 0 && this.op[this.alt[s]] === Op.Dummy) this.alt[s] = this.next[this.alt[s]];
    }
  }
}

/** A fragment of the automaton from `start` to `end`, whose `next` is still open. */
export class Fragment {
  readonly nfa: Nfa;
  start: number;
  end: number;

  constructor(nfa: Nfa, start: number, end: number = start) {
    this.nfa = nfa;
    this.start = start;
    this.end = end;
  }

  /** Continues the fragment with a state or another fragment. */
  append(then: number | Fragment): void {
    const start = typeof then === "number" ? then : then.start;
    this.nfa.next[this.end] = start;
    this.end = typeof then === "number" ? then : then.end;
  }

  /**
   * A copy of every state reachable from `start` without leaving through `end`. As in
   * libstdc++, a state pushed twice before its first visit is copied twice (the spare copy
   * only counts towards the state limit).
   */
  clone(): Fragment {
    const nfa = this.nfa;
    const copies = new Map<number, number>();
    const pending = [this.start];
    while (pending.length > 0) {
      const s = pending.pop() as number;
      copies.set(s, nfa.size);
      nfa.op.push(nfa.op[s]);
      nfa.next.push(nfa.next[s]);
      nfa.alt.push(nfa.alt[s]);
      nfa.group.push(nfa.group[s]);
      nfa.byte.push(nfa.byte[s]);
      nfa.table.push(nfa.table[s]);
      if (nfa.size > STATE_LIMIT) throw new RegexError("space", "too many NFA states");
      if (nfa.hasAlt(s) && nfa.alt[s] !== NONE && !copies.has(nfa.alt[s])) pending.push(nfa.alt[s]);
      if (s !== this.end && nfa.next[s] !== NONE && !copies.has(nfa.next[s])) pending.push(nfa.next[s]);
    }
    for (const copy of copies.values()) {
      if (nfa.next[copy] !== NONE) nfa.next[copy] = copies.get(nfa.next[copy]) ?? NONE;
      if (nfa.hasAlt(copy) && nfa.alt[copy] !== NONE) nfa.alt[copy] = copies.get(nfa.alt[copy]) ?? NONE;
    }
    return new Fragment(nfa, copies.get(this.start) as number, copies.get(this.end) as number);
  }
}
