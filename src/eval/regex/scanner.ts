// The tokenizer of POSIX extended regular expressions as libstdc++'s _Scanner reads them
// (std::regex::extended, built with __STRICT_ANSI__ as Nix 2.8 is): a backslash may only
// escape one of `.[\()*+?{|^$`, `]` and `}` are ordinary characters, and inside brackets a
// backslash is literal. The scanner always holds the next token; reading past it happens when
// the parser consumes one, which decides which of two errors is raised first.
import { RegexError } from "./nfa.ts";
import { isDigit } from "./c-locale.ts";

export const Token = {
  Eof: 0,
  OrdChar: 1,
  AnyChar: 2,
  SubexprBegin: 3,
  SubexprEnd: 4,
  BracketBegin: 5,
  BracketNegBegin: 6,
  BracketEnd: 7,
  BracketDash: 8,
  IntervalBegin: 9,
  IntervalEnd: 10,
  DupCount: 11,
  Comma: 12,
  CharClassName: 13,
  CollSymbol: 14,
  EquivClassName: 15,
  Opt: 16,
  Or: 17,
  Closure0: 18,
  Closure1: 19,
  LineBegin: 20,
  LineEnd: 21,
} as const;
export type Token = (typeof Token)[keyof typeof Token];

const SPECIAL = ".[\\()*+?{|^$";

const OPERATORS: Readonly<Record<string, Token>> = {
  "^": Token.LineBegin,
  $: Token.LineEnd,
  ".": Token.AnyChar,
  "*": Token.Closure0,
  "+": Token.Closure1,
  "?": Token.Opt,
  "|": Token.Or,
};

function syntaxError(what: string): RegexError {
  return new RegexError("syntax", what);
}

export class Scanner {
  private readonly re: string;
  private pos = 0;
  private mode: "normal" | "bracket" | "brace" = "normal";
  private atBracketStart = false;
  token: Token = Token.Eof;
  /** The text of OrdChar, DupCount and the `[: :]`-style tokens. */
  value = "";

  constructor(re: string) {
    this.re = re;
    this.advance();
  }

  advance(): void {
    if (this.pos === this.re.length) {
      this.token = Token.Eof;
      return;
    }
    if (this.mode === "normal") this.scanNormal();
    else if (this.mode === "bracket") this.scanInBracket();
    else this.scanInBrace();
  }

  private ordinary(c: string): void {
    this.token = Token.OrdChar;
    this.value = c;
  }

  private scanNormal(): void {
    const c = this.re[this.pos++];
    if (c !== "\0" && !SPECIAL.includes(c)) return this.ordinary(c);
    if (c === "\\") {
      if (this.pos === this.re.length) throw syntaxError("escape at end");
      const escaped = this.re[this.pos++];
      if (escaped === "\0" || !SPECIAL.includes(escaped)) throw syntaxError("escape of an ordinary character");
      return this.ordinary(escaped);
    }
    if (c === "(") this.token = Token.SubexprBegin;
    else if (c === ")") this.token = Token.SubexprEnd;
    else if (c === "[") {
      this.mode = "bracket";
      this.atBracketStart = true;
      if (this.re[this.pos] === "^") {
        this.token = Token.BracketNegBegin;
        this.pos++;
      } else this.token = Token.BracketBegin;
    } else if (c === "{") {
      this.mode = "brace";
      this.token = Token.IntervalBegin;
    } else if (c === "\0") throw syntaxError("NUL byte");
    else this.token = OPERATORS[c];
  }

  private scanInBracket(): void {
    const c = this.re[this.pos++];
    if (c === "-") this.token = Token.BracketDash;
    else if (c === "[") {
      if (this.pos === this.re.length) throw syntaxError("incomplete '[['");
      const kind = this.re[this.pos];
      if (kind === ".") this.token = Token.CollSymbol;
      else if (kind === ":") this.token = Token.CharClassName;
      else if (kind === "=") this.token = Token.EquivClassName;
      else this.ordinary(c);
      if (this.token !== Token.OrdChar) {
        this.pos++;
        this.readClassName(kind);
      }
    } else if (c === "]" && !this.atBracketStart) {
      this.token = Token.BracketEnd;
      this.mode = "normal";
    } else this.ordinary(c);
    this.atBracketStart = false;
  }

  /** The name in `[:name:]` (or `[.name.]`, `[=name=]`), which must end in the same character and `]`. */
  private readClassName(kind: string): void {
    const end = this.re.indexOf(kind, this.pos);
    if (end < 0 || this.re[end + 1] !== "]") throw syntaxError("unterminated class name");
    this.value = this.re.slice(this.pos, end);
    this.pos = end + 2;
  }

  private scanInBrace(): void {
    const c = this.re[this.pos++];
    if (isDigit(c.charCodeAt(0))) {
      let end = this.pos;
      while (end < this.re.length && isDigit(this.re.charCodeAt(end))) end++;
      this.token = Token.DupCount;
      this.value = this.re.slice(this.pos - 1, end);
      this.pos = end;
    } else if (c === ",") this.token = Token.Comma;
    else if (c === "}") {
      this.mode = "normal";
      this.token = Token.IntervalEnd;
    } else throw syntaxError("bad interval");
  }
}
