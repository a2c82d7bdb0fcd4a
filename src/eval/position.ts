// Source positions as plain numbers. Every source text the evaluator sees (files, `-E`
// expressions, `--arg` values) is registered once and gets a base offset in one global space,
// so a position is `base + byte offset`: a small integer that is cheap to store in every AST
// node and attribute, and is turned into file:line:column only when something is shown.
// 0 means "no position" (Nix's noPos).

export type Pos = number;

export const NO_POS: Pos = 0;

/** A registered source. `path` is the file's absolute path, or null for `-E`/stdin text. */
export class Source {
  readonly path: string | null;
  /** The text as a binary string (one char per byte), as the lexer saw it. */
  readonly text: string;
  readonly base: number;
  private lineStarts: number[] | null = null;

  constructor(path: string | null, text: string, base: number) {
    this.path = path;
    this.text = text;
    this.base = base;
  }

  /**
   * What Nix 2.8 calls the position's "file": the path, or for expressions given as text the
   * text itself (an oddity of 2.8 that `__curPos` and `--xml` locations expose).
   */
  get fileName(): string {
    return this.path ?? this.text;
  }

  /** 1-based line and column of a byte offset; columns count bytes, as Nix's lexer does. */
  lineColumn(offset: number): { line: number; column: number } {
    const starts = (this.lineStarts ??= computeLineStarts(this.text));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo] + 1 };
  }
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** A position resolved for display. */
export interface Location {
  source: Source;
  line: number;
  column: number;
}

const sources: Source[] = [];
// Offset 0 stays free for NO_POS; each source also reserves one past its end (end-of-file).
let nextBase = 1;

/** Registers a source text; positions inside it are `source.base + offset`. */
export function addSource(path: string | null, text: string): Source {
  const source = new Source(path, text, nextBase);
  nextBase += text.length + 1;
  sources.push(source);
  return source;
}

/** The source a position belongs to, or undefined for NO_POS. */
export function sourceOf(pos: Pos): Source | undefined {
  if (pos <= 0) return undefined;
  let lo = 0;
  let hi = sources.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sources[mid].base <= pos) lo = mid;
    else hi = mid - 1;
  }
  const source = sources[lo];
  return source && pos <= source.base + source.text.length ? source : undefined;
}

export function locate(pos: Pos): Location | undefined {
  const source = sourceOf(pos);
  if (!source) return undefined;
  return { source, ...source.lineColumn(pos - source.base) };
}

/** A position as Nix 2.8 writes one inside a message: `file:line:col`, `(string):line:col`. */
export function showPos(pos: Pos): string {
  const where = locate(pos);
  if (!where) return "undefined position";
  return `${where.source.path ?? "(string)"}:${where.line}:${where.column}`;
}
