// Where things are in a TOML text, and toml11's error messages about them: a headline, the
// file name, each offending line with the spot underlined and a comment, then hints:
//
//   [error] toml::parse_key_value_pair: missing value after key-value separator '='
//    --> fromTOML
//      |
//    1 | a =
//      |     ^--- expected value, but got nothing

/** A position in a text (toml11's location); `name` is the file name shown in messages. */
export class Loc {
  readonly name: string;
  readonly src: string;
  pos: number;

  constructor(name: string, src: string, pos = 0) {
    this.name = name;
    this.src = src;
    this.pos = pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  /** The byte here as a one-char string ("" at the end). */
  peek(): string {
    return this.src.charAt(this.pos);
  }

  copyAt(pos: number): Loc {
    return new Loc(this.name, this.src, pos);
  }
}

/** A span of a text that a value or key was read from (toml11's region). */
export interface Region {
  readonly name: string;
  readonly src: string;
  readonly first: number;
  readonly last: number;
}

export function regionOf(loc: Loc, first: number, last: number = loc.pos): Region {
  return { name: loc.name, src: loc.src, first, last };
}

export function regionText(r: Region): string {
  return r.src.slice(r.first, r.last);
}

/** What an error message shows of a place (toml11's source_location). */
export interface SourceLocation {
  line: number;
  column: number;
  size: number;
  fileName: string;
  lineText: string;
}

const UNKNOWN: SourceLocation = { line: 1, column: 1, size: 1, fileName: "unknown file", lineText: "" };

function lineBegin(src: string, pos: number): number {
  return pos === 0 ? 0 : src.lastIndexOf("\n", pos - 1) + 1;
}

function lineEndFrom(src: string, pos: number): number {
  const end = src.indexOf("\n", pos);
  return end < 0 ? src.length : end;
}

function lineNumber(src: string, pos: number): number {
  let n = 1;
  for (let i = src.indexOf("\n"); i >= 0 && i < pos; i = src.indexOf("\n", i + 1)) n++;
  return n;
}

export function locationOf(place: Loc | Region | null): SourceLocation {
  if (place === null) return UNKNOWN;
  if (place instanceof Loc) {
    const begin = lineBegin(place.src, place.pos);
    return { line: lineNumber(place.src, place.pos), column: place.pos - begin + 1, size: 1, fileName: place.name, lineText: place.src.slice(begin, lineEndFrom(place.src, place.pos)) };
  }
  const { src, first, last } = place;
  const begin = lineBegin(src, first);
  const newlineInside = src.indexOf("\n", first);
  // A region spanning lines shows its first line.
  const end = newlineInside >= 0 && newlineInside < last ? newlineInside : lineEndFrom(src, last);
  return { line: lineNumber(src, first), column: first - begin + 1, size: last - first, fileName: place.name, lineText: src.slice(begin, end) };
}

/** toml11's format_underline. */
export function formatUnderline(message: string, places: readonly [SourceLocation, string][], hints: readonly string[] = []): string {
  const width = Math.max(1, ...places.map(([where]) => (where.line === 0 ? 0 : String(where.line).length)));
  const pad = (n: number) => " ".repeat(n);
  let out = message.length > 7 && message.startsWith("[error]") ? `${message}\n` : `[error] ${message}\n`;
  const one = (where: SourceLocation, comment: string) => {
    out += ` ${String(where.line).padStart(width)} | ${where.lineText}\n`;
    out += `${pad(width + 1)} | ${pad(where.column - 1)}`;
    out += where.size === 1 ? "^---" : "~".repeat(Math.min(where.size, where.lineText.length));
    out += ` ${comment}`;
  };
  out += ` --> ${places[0][0].fileName}\n${pad(width + 1)} |\n`;
  one(...places[0]);
  for (let i = 1; i < places.length; i++) {
    out += "\n";
    if (places[i - 1][0].fileName === places[i][0].fileName) out += " ...\n";
    else out += ` --> ${places[i][0].fileName}\n${pad(width + 1)} |\n`;
    one(...places[i]);
  }
  if (hints.length > 0) {
    out += `\n${pad(width + 1)} |`;
    for (const hint of hints) out += `\nHint: ${hint}`;
  }
  return out;
}

/** A byte as toml11 shows it: itself if printable, else 0xNN. */
export function showChar(c: string): string {
  const code = c.charCodeAt(0);
  return code > 0x20 && code < 0x7f ? c : `0x${code.toString(16).padStart(2, "0")}`;
}
