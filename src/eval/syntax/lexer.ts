// The Nix 2.8 lexer, by hand: the same tokens, longest-match choices and start conditions
// (string, indented string, path) as Nix's flex scanner (lexer.l), on the char codes of a
// byte string. Where flex's behaviour is odd, the oddity is kept on purpose: `x:x` is a URI,
// `1/2` a path, a NUL byte outside a string ends the input, and the positions Nix reports at
// the end of input or of a path are those of earlier lexemes (see `lastLexeme`).
import type { Source } from "../position.ts";
import { parseFloatLiteral, parseIntLiteral } from "./numbers.ts";
import { ParseError } from "./parse-error.ts";
import { unescapeString } from "./strings.ts";
import { T, type Token, type TokenType } from "./tokens.ts";

// Start conditions. INITIAL and DEFAULT lex the same; `}` pops the mode stack except in INITIAL.
const INITIAL = 0;
const DEFAULT = 1;
const STRING = 2;
const IND_STRING = 3;
const IN_PATH = 4;
const IN_PATH_SLASH = 5;

// Character classes of lexer.l, as bits in a table indexed by byte.
const ID_START = 1; // [a-zA-Z_]
const ID_CHAR = 2; // [a-zA-Z0-9_'-]
const PATH_CHAR = 4; // [a-zA-Z0-9._\-+]
const DIGIT = 8;
const URI_SCHEME = 16; // [a-zA-Z0-9+\-.]
const URI_CHAR = 32; // [a-zA-Z0-9%/?:@&=+$,\-_.!~*']

const CLASSES = new Uint8Array(256);
function addClass(bits: number, chars: string): void {
  for (const c of chars) CLASSES[c.charCodeAt(0)] |= bits;
}
const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
addClass(ID_START, `${LETTERS}_`);
addClass(ID_CHAR, `${LETTERS}${DIGITS}_'-`);
addClass(PATH_CHAR, `${LETTERS}${DIGITS}._-+`);
addClass(DIGIT, DIGITS);
addClass(URI_SCHEME, `${LETTERS}${DIGITS}+-.`);
addClass(URI_CHAR, `${LETTERS}${DIGITS}%/?:@&=+$,-_.!~*'`);

const KEYWORDS = new Map<string, TokenType>([
  ["if", T.IF],
  ["then", T.THEN],
  ["else", T.ELSE],
  ["assert", T.ASSERT],
  ["with", T.WITH],
  ["let", T.LET],
  ["in", T.IN],
  ["rec", T.REC],
  ["inherit", T.INHERIT],
  ["or", T.OR_KW],
]);

/** Two-character operators, keyed by first char code × 256 + second. */
const OPERATORS = new Map<number, TokenType>(
  (
    [
      ["==", T.EQ],
      ["!=", T.NEQ],
      ["<=", T.LEQ],
      [">=", T.GEQ],
      ["&&", T.AND],
      ["||", T.OR],
      ["->", T.IMPL],
      ["//", T.UPDATE],
      ["++", T.CONCAT],
    ] as const
  ).map(([op, type]) => [op.charCodeAt(0) * 256 + op.charCodeAt(1), type]),
);

const SLASH = 0x2f;
const DOLLAR = 0x24;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

export class Lexer {
  private readonly text: string;
  private readonly base: number;
  private readonly length: number;
  private pos = 0;
  private mode = INITIAL;
  private readonly modeStack: number[] = [];
  /**
   * Offsets of the last two lexemes (tokens, whitespace runs, comments). Nix reports the end of
   * input at the start of the last lexeme, and the end of a path at the one before.
   */
  private lastLexeme = 0;
  private prevLexeme = 0;
  // What earlier scans proved, so that a long run like `-----` or `a.a.a.a` is not rescanned
  // for every token in it: no path, and no URI, starts before these offsets; no `*/` follows.
  private noPathBefore = 0;
  private noUriBefore = 0;
  private noCommentEnd = false;

  constructor(source: Source) {
    this.text = source.text;
    this.base = source.base;
    this.length = source.text.length;
  }

  next(): Token {
    switch (this.mode) {
      case STRING:
        return this.lexString();
      case IND_STRING:
        return this.lexIndentedString();
      case IN_PATH:
      case IN_PATH_SLASH:
        return this.lexInPath();
      default:
        return this.lexDefault();
    }
  }

  private token(type: TokenType, start: number, end: number, value: Token["value"] = null, indented = false): Token {
    this.prevLexeme = this.lastLexeme;
    this.lastLexeme = start;
    this.pos = end;
    return { type, start: this.base + start, end: this.base + end, value, indented };
  }

  private eof(offset: number): Token {
    return { type: T.EOF, start: this.base + offset, end: this.base + offset, value: null, indented: false };
  }

  private push(mode: number): void {
    this.modeStack.push(this.mode);
    this.mode = mode;
  }

  private pop(): void {
    this.mode = this.modeStack.pop() ?? INITIAL;
  }

  private error(message: string, offset: number): ParseError {
    return new ParseError(message, this.base + offset);
  }

  private lexDefault(): Token {
    const text = this.text;
    const n = this.length;
    let p = this.pos;
    // Whitespace and comments: each run is a lexeme of its own.
    for (;;) {
      if (p >= n) return this.eof(this.lastLexeme);
      const c = text.charCodeAt(p);
      let end = p;
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
        do end++;
        while (end < n && isSpace(text.charCodeAt(end)));
      } else if (c === 0x23) {
        do end++;
        while (end < n && text.charCodeAt(end) !== 0x0a && text.charCodeAt(end) !== 0x0d);
      } else if (c === SLASH && text.charCodeAt(p + 1) === 0x2a && !this.noCommentEnd) {
        const close = text.indexOf("*/", p + 2);
        if (close < 0) {
          this.noCommentEnd = true;
          break; // unterminated: lexed as the '/' token
        }
        end = close + 2;
      } else {
        break;
      }
      this.prevLexeme = this.lastLexeme;
      this.lastLexeme = p;
      p = end;
    }
    this.pos = p;

    const c = text.charCodeAt(p);
    const cls = CLASSES[c];
    if (cls & (ID_START | DIGIT) || c === 0x2e || c === 0x2d || c === 0x2b || c === SLASH || c === 0x7e) {
      return this.lexWordOrPath(p, c, cls);
    }
    switch (c) {
      case 0:
        // flex hands the parser a NUL byte as token 0, which bison takes for the end of input.
        this.token(T.EOF, p, p + 1);
        return this.eof(p);
      case DOLLAR:
        if (text.charCodeAt(p + 1) === LBRACE) {
          this.push(DEFAULT);
          return this.token(T.DOLLAR_CURLY, p, p + 2);
        }
        break;
      case LBRACE:
        this.push(DEFAULT);
        break;
      case RBRACE:
        if (this.mode !== INITIAL) this.pop();
        break;
      case QUOTE:
        this.push(STRING);
        break;
      case APOSTROPHE:
        if (text.charCodeAt(p + 1) === APOSTROPHE) return this.lexIndentedStringOpen(p);
        break;
      case 0x3c: {
        const spathLength = this.scanSearchPath(p);
        if (spathLength > 0) return this.token(T.SPATH, p, p + spathLength, text.slice(p, p + spathLength));
        break;
      }
    }
    const op = OPERATORS.get(c * 256 + text.charCodeAt(p + 1));
    if (op !== undefined) return this.token(op, p, p + 2);
    return this.token(c, p, p + 1);
  }

  /**
   * Identifiers, keywords, numbers, URIs, paths, `...` and the operators starting with a path
   * character (`->`, `++`, `//`): whichever rule of lexer.l matches the longest text.
   */
  private lexWordOrPath(p: number, c: number, cls: number): Token {
    const text = this.text;
    // The path rules: PATH (path characters, then `/`-separated segments of them, maybe a final
    // `/`), HPATH (the same after `~`), and the start of an interpolated path (path characters
    // or `~`, then `/${`). All need a slash after the leading characters.
    const home = c === 0x7e;
    let pathLength = 0;
    let interpolated = false;
    if (home || p >= this.noPathBefore) {
      const slash = home ? p + 1 : p + runLength(text, p, PATH_CHAR);
      if (text.charCodeAt(slash) === SLASH) {
        interpolated = text.charCodeAt(slash + 1) === DOLLAR && text.charCodeAt(slash + 2) === LBRACE;
        pathLength = interpolated ? slash + 3 - p : this.scanSegments(p, slash);
      }
      // Starting later in the same run of path characters cannot make a path either.
      if (pathLength === 0 && !home) this.noPathBefore = slash;
    }
    let wordType: TokenType = 0;
    let wordLength = 0;
    if (cls & ID_START) {
      wordLength = runLength(text, p, ID_CHAR);
      wordType = T.ID;
      const uriLength = c === 0x5f || p < this.noUriBefore ? 0 : this.scanUri(p);
      if (uriLength > wordLength) {
        wordLength = uriLength;
        wordType = T.URI;
      }
    } else if (cls & DIGIT || c === 0x2e) {
      const floatLength = this.scanFloat(p, c);
      const intLength = cls & DIGIT ? runLength(text, p, DIGIT) : 0;
      if (floatLength > intLength) {
        wordLength = floatLength;
        wordType = T.FLOAT;
      } else if (intLength > 0) {
        wordLength = intLength;
        wordType = T.INT;
      }
      if (c === 0x2e && wordLength < 3 && text.startsWith("...", p)) {
        wordLength = 3;
        wordType = T.ELLIPSIS;
      }
    } else if (!home) {
      const op = OPERATORS.get(c * 256 + text.charCodeAt(p + 1));
      if (op !== undefined) {
        wordLength = 2;
        wordType = op;
      }
    }

    if (pathLength > wordLength) {
      const end = p + pathLength;
      const type = home ? T.HPATH : T.PATH;
      if (interpolated) {
        // `a/${`, `~/${`: the path token is the text up to the slash, and then come the
        // interpolations (flex's PATH_START).
        this.push(IN_PATH_SLASH);
        return this.token(type, p, end - 2, text.slice(p, end - 2));
      }
      this.push(text.charCodeAt(end - 1) === SLASH ? IN_PATH_SLASH : IN_PATH);
      return this.token(type, p, end, text.slice(p, end));
    }
    const end = p + wordLength;
    switch (wordType) {
      case 0:
        return this.token(c, p, p + 1);
      case T.ID: {
        const word = text.slice(p, end);
        return this.token(wordLength <= 7 ? (KEYWORDS.get(word) ?? T.ID) : T.ID, p, end, word);
      }
      case T.URI:
        return this.token(T.URI, p, end, text.slice(p, end));
      case T.INT: {
        const digits = text.slice(p, end);
        const value = parseIntLiteral(digits);
        if (value === undefined) throw this.error(`invalid integer '${digits}'`, p);
        return this.token(T.INT, p, end, value);
      }
      case T.FLOAT: {
        const literal = text.slice(p, end);
        const value = parseFloatLiteral(literal);
        if (value === undefined) throw this.error(`invalid float '${literal}'`, p);
        return this.token(T.FLOAT, p, end, value);
      }
      default:
        return this.token(wordType, p, end);
    }
  }

  /** The length from `p` to the end of the `/segment`s starting at `i` (and a final `/`); 0 if none. */
  private scanSegments(p: number, i: number): number {
    const text = this.text;
    let segments = 0;
    while (text.charCodeAt(i) === SLASH && CLASSES[text.charCodeAt(i + 1)] & PATH_CHAR) {
      i += 1 + runLength(text, i + 1, PATH_CHAR);
      segments++;
    }
    if (segments === 0) return 0;
    if (text.charCodeAt(i) === SLASH) i++;
    return i - p;
  }

  /** URI `[a-zA-Z][a-zA-Z0-9+\-.]*:[a-zA-Z0-9%/?:@&=+$,\-_.!~*']+`; 0 if none. */
  private scanUri(p: number): number {
    const text = this.text;
    const colon = p + 1 + runLength(text, p + 1, URI_SCHEME);
    const rest = text.charCodeAt(colon) === 0x3a ? runLength(text, colon + 1, URI_CHAR) : 0;
    if (rest > 0) return colon + 1 + rest - p;
    // A URI starting later in the same scheme characters would fail the same way.
    this.noUriBefore = colon;
    return 0;
  }

  /** FLOAT `(([1-9][0-9]*\.[0-9]*)|(0?\.[0-9]+))([Ee][+-]?[0-9]+)?`; 0 if none. */
  private scanFloat(p: number, c: number): number {
    const text = this.text;
    let i: number;
    if (c >= 0x31 && c <= 0x39) {
      i = p + runLength(text, p, DIGIT);
      if (text.charCodeAt(i) !== 0x2e) return 0;
      i += 1 + runLength(text, i + 1, DIGIT);
    } else {
      const dot = c === 0x30 ? p + 1 : p;
      if (text.charCodeAt(dot) !== 0x2e) return 0;
      const fraction = runLength(text, dot + 1, DIGIT);
      if (fraction === 0) return 0;
      i = dot + 1 + fraction;
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      let j = i + 1;
      const sign = text.charCodeAt(j);
      if (sign === 0x2b || sign === 0x2d) j++;
      const exponent = runLength(text, j, DIGIT);
      if (exponent > 0) i = j + exponent;
    }
    return i - p;
  }

  /** SPATH `<{PATH_CHAR}+(/{PATH_CHAR}+)*>`; 0 if none. */
  private scanSearchPath(p: number): number {
    const text = this.text;
    let i = p + 1;
    for (;;) {
      const run = runLength(text, i, PATH_CHAR);
      if (run === 0) return 0;
      i += run;
      const c = text.charCodeAt(i);
      if (c === 0x3e) return i + 1 - p;
      if (c !== SLASH) return 0;
      i++;
    }
  }

  /** `''`, and with it the rest of the line when that is only spaces (`''(\ *\n)?`). */
  private lexIndentedStringOpen(p: number): Token {
    let end = p + 2;
    const spaces = runLength(this.text, end, 0, 0x20);
    if (this.text.charCodeAt(end + spaces) === NEWLINE) end += spaces + 1;
    this.push(IND_STRING);
    return this.token(T.IND_STRING_OPEN, p, end);
  }

  private lexString(): Token {
    const text = this.text;
    const n = this.length;
    const p = this.pos;
    if (p >= n) return this.eof(this.lastLexeme);
    const c = text.charCodeAt(p);
    if (c === QUOTE) {
      this.pop();
      return this.token(QUOTE, p, p + 1);
    }
    if (c === DOLLAR && text.charCodeAt(p + 1) === LBRACE) {
      this.push(DEFAULT);
      return this.token(T.DOLLAR_CURLY, p, p + 2);
    }
    // Text runs until `"` or `${`; `\` escapes any byte, `$` is literal unless before `{`.
    let i = p;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === QUOTE) break;
      if (d === BACKSLASH) {
        if (i + 1 >= n) break;
        i += 2;
      } else if (d === DOLLAR) {
        const e = text.charCodeAt(i + 1);
        if (e === LBRACE) break;
        if (e === QUOTE) {
          i++;
          break;
        }
        if (e === BACKSLASH) {
          if (i + 2 >= n) break;
          i += 3;
        } else if (i + 1 < n) {
          i += 2;
        } else {
          break;
        }
      } else {
        i++;
      }
    }
    // Only a lone `$`, `\` or `$\` at the end of input is left over here (lexer.l's last STR rule).
    const end = i > p ? i : n;
    return this.token(T.STR, p, end, unescapeString(text, p, end));
  }

  private lexIndentedString(): Token {
    const text = this.text;
    const n = this.length;
    const p = this.pos;
    if (p >= n) return this.eof(this.lastLexeme);
    // Plain text: anything but `$` and `'`, or `$`/`'` not starting `${`, `''` or `'$`.
    let i = p;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === DOLLAR) {
        const e = text.charCodeAt(i + 1);
        if (i + 1 >= n || e === LBRACE || e === APOSTROPHE) break;
        i += 2;
      } else if (d === APOSTROPHE) {
        const e = text.charCodeAt(i + 1);
        if (i + 1 >= n || e === APOSTROPHE || e === DOLLAR) break;
        i += 2;
      } else {
        i++;
      }
    }
    if (i > p) return this.token(T.IND_STR, p, i, text.slice(p, i), true);
    const c = text.charCodeAt(p);
    if (c === DOLLAR) {
      if (text.charCodeAt(p + 1) === LBRACE) {
        this.push(DEFAULT);
        return this.token(T.DOLLAR_CURLY, p, p + 2);
      }
      return this.token(T.IND_STR, p, p + 1, "$");
    }
    // c is an apostrophe.
    if (text.charCodeAt(p + 1) !== APOSTROPHE) return this.token(T.IND_STR, p, p + 1, "'");
    const after = text.charCodeAt(p + 2);
    if (after === DOLLAR) return this.token(T.IND_STR, p, p + 3, "$");
    if (after === APOSTROPHE) return this.token(T.IND_STR, p, p + 3, "''");
    if (after === BACKSLASH && p + 3 < n) return this.token(T.IND_STR, p, p + 4, unescapeString(text, p + 2, p + 4));
    this.pop();
    return this.token(T.IND_STRING_CLOSE, p, p + 2);
  }

  /** After a path token: more path text, `${`, or the end of the path (PATH_END). */
  private lexInPath(): Token {
    const text = this.text;
    const p = this.pos;
    if (text.charCodeAt(p) === DOLLAR && text.charCodeAt(p + 1) === LBRACE) {
      this.mode = IN_PATH;
      this.push(DEFAULT);
      return this.token(T.DOLLAR_CURLY, p, p + 2);
    }
    // The longest of {PATH}, {PATH_SEG} (path characters and a slash) and {PATH_CHAR}+.
    const chars = runLength(text, p, PATH_CHAR);
    let length = this.scanSegments(p, p + chars);
    if (text.charCodeAt(p + chars) === SLASH) length = Math.max(length, chars + 1);
    length = Math.max(length, chars);
    if (length > 0) {
      const end = p + length;
      this.mode = text.charCodeAt(end - 1) === SLASH ? IN_PATH_SLASH : IN_PATH;
      return this.token(T.STR, p, end, text.slice(p, end));
    }
    const atEnd = p >= this.length;
    if (this.mode === IN_PATH_SLASH) throw this.error("path has a trailing slash", atEnd ? this.lastLexeme : p);
    this.pop();
    if (!atEnd) return { type: T.PATH_END, start: this.base + this.lastLexeme, end: this.base + p, value: null, indented: false };
    // At the end of input flex also rewinds its location, so the end of input is reported there too.
    const at = this.prevLexeme;
    this.lastLexeme = at;
    return { type: T.PATH_END, start: this.base + at, end: this.base + p, value: null, indented: false };
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** How many bytes from `p` on are in the class `bits` (or equal `only` when bits is 0). */
function runLength(text: string, p: number, bits: number, only = -1): number {
  let i = p;
  if (bits === 0) {
    while (text.charCodeAt(i) === only) i++;
  } else {
    while (CLASSES[text.charCodeAt(i)] & bits) i++;
  }
  return i - p;
}
