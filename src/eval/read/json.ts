// `builtins.fromJSON`: JSON text (bytes) to Nix values, accepting exactly what Nix 2.8's JSON
// library (nlohmann/json 3.11 in SAX mode) accepts and failing with its messages, positions
// and "last read" excerpts included. Its rules, kept here:
//
// - strings must be valid UTF-8 without raw control characters; `\u` escapes become UTF-8
//   (surrogates must pair up); an optional UTF-8 byte-order mark is skipped; a NUL byte ends
//   the input;
// - numbers follow RFC 8259; non-negative integers are read as uint64 and negative ones as
//   int64 (Nix then stores them as int64, so 2^64-1 becomes -1), integers outside those
//   ranges become floats, and floats that overflow to infinity are an error;
// - in objects the last of several equal keys wins;
// - a NUL byte (from `\u0000`) ends a string value, as Nix 2.8 stores strings as C strings.
import { EvalError } from "../errors.ts";
import { cString } from "./c-string.ts";
import { NixAttrs } from "../value/attrs.ts";
import { NixFloat } from "../value/float.ts";
import { normalizeInt } from "../value/int.ts";
import type { ForcedValue, Value } from "../value/value.ts";

/** Nix 2.8's JSONParseError carries no position (fromJSON adds a trace frame instead). */
export class JsonParseError extends EvalError {
  override name = "JSONParseError";

  constructor(message: string) {
    super(message);
    this.pos = 0;
  }
}

const EOF = -1;

const Tok = {
  Uninitialized: 0,
  True: 1,
  False: 2,
  Null: 3,
  String: 4,
  Unsigned: 5,
  Integer: 6,
  Float: 7,
  BeginArray: 8,
  BeginObject: 9,
  EndArray: 10,
  EndObject: 11,
  NameSeparator: 12,
  ValueSeparator: 13,
  ParseError: 14,
  EndOfInput: 15,
  LiteralOrValue: 16,
} as const;
type Tok = (typeof Tok)[keyof typeof Tok];

const TOKEN_NAMES: readonly string[] = [
  "<uninitialized>",
  "true literal",
  "false literal",
  "null literal",
  "string literal",
  "number literal",
  "number literal",
  "number literal",
  "'['",
  "'{'",
  "']'",
  "'}'",
  "':'",
  "','",
  "<parse error>",
  "end of input",
  "'[', '{', or a literal",
];

/** Names of the control characters in nlohmann's "must be escaped" messages. */
const CONTROL_NAMES = "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US".split(" ");
const SHORT_ESCAPES: Readonly<Record<number, string>> = { 0x08: "b", 0x09: "t", 0x0a: "n", 0x0c: "f", 0x0d: "r" };

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, "0");
}

/** The UTF-8 continuation byte ranges after each lead byte (RFC 3629), or undefined if invalid. */
function utf8Continuations(lead: number): readonly number[] | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return [0x80, 0xbf];
  if (lead === 0xe0) return [0xa0, 0xbf, 0x80, 0xbf];
  if ((lead >= 0xe1 && lead <= 0xec) || lead === 0xee || lead === 0xef) return [0x80, 0xbf, 0x80, 0xbf];
  if (lead === 0xed) return [0x80, 0x9f, 0x80, 0xbf];
  if (lead === 0xf0) return [0x90, 0xbf, 0x80, 0xbf, 0x80, 0xbf];
  if (lead >= 0xf1 && lead <= 0xf3) return [0x80, 0xbf, 0x80, 0xbf, 0x80, 0xbf];
  if (lead === 0xf4) return [0x80, 0x8f, 0x80, 0xbf, 0x80, 0xbf];
  return undefined;
}

function utf8(codepoint: number): string {
  if (codepoint < 0x80) return String.fromCharCode(codepoint);
  if (codepoint <= 0x7ff) return String.fromCharCode(0xc0 | (codepoint >> 6), 0x80 | (codepoint & 0x3f));
  if (codepoint <= 0xffff) return String.fromCharCode(0xe0 | (codepoint >> 12), 0x80 | ((codepoint >> 6) & 0x3f), 0x80 | (codepoint & 0x3f));
  return String.fromCharCode(0xf0 | (codepoint >> 18), 0x80 | ((codepoint >> 12) & 0x3f), 0x80 | ((codepoint >> 6) & 0x3f), 0x80 | (codepoint & 0x3f));
}

/** nlohmann's lexer, including how it counts positions and remembers the text of a token. */
class Lexer {
  private readonly input: string;
  /** Index of the next byte to read. */
  private next = 0;
  private current = EOF;
  private charsRead = 0;
  private column = 0;
  private linesRead = 0;
  /** The token's text is input[tokenStart, next); only strings and numbers restart it. */
  private tokenStart = 0;
  errorMessage = "";
  /** Decoded string or number text. */
  text = "";
  number: ForcedValue = null;

  constructor(input: string) {
    this.input = input;
  }

  private get(): number {
    this.charsRead++;
    this.column++;
    this.current = this.next < this.input.length ? this.input.charCodeAt(this.next++) : EOF;
    if (this.current === 0x0a) {
      this.linesRead++;
      this.column = 0;
    }
    return this.current;
  }

  private unget(): void {
    this.charsRead--;
    if (this.column === 0) {
      if (this.linesRead > 0) this.linesRead--;
    } else this.column--;
    if (this.current !== EOF) this.next--;
  }

  private reset(): void {
    this.tokenStart = this.next - 1;
  }

  /** "line L, column C" of the current position. */
  position(): string {
    return `line ${this.linesRead + 1}, column ${this.column}`;
  }

  /** The token's text with control characters shown as <U+XXXX>. */
  tokenString(): string {
    return this.input.slice(this.tokenStart, this.next).replace(/[\x00-\x1f]/g, (c) => `<U+${hex4(c.charCodeAt(0))}>`);
  }

  scan(): Tok {
    if (this.charsRead === 0 && !this.skipByteOrderMark()) {
      this.errorMessage = "invalid BOM; must be 0xEF 0xBB 0xBF if given";
      return Tok.ParseError;
    }
    do this.get();
    while (this.current === 0x20 || this.current === 0x09 || this.current === 0x0a || this.current === 0x0d);
    switch (this.current) {
      case 0x5b:
        return Tok.BeginArray;
      case 0x5d:
        return Tok.EndArray;
      case 0x7b:
        return Tok.BeginObject;
      case 0x7d:
        return Tok.EndObject;
      case 0x3a:
        return Tok.NameSeparator;
      case 0x2c:
        return Tok.ValueSeparator;
      case 0x74:
        return this.literal("true", Tok.True);
      case 0x66:
        return this.literal("false", Tok.False);
      case 0x6e:
        return this.literal("null", Tok.Null);
      case 0x22:
        return this.string();
      case 0x00:
      case EOF:
        return Tok.EndOfInput;
    }
    if (this.current === 0x2d || (this.current >= 0x30 && this.current <= 0x39)) return this.numberToken();
    this.errorMessage = "invalid literal";
    return Tok.ParseError;
  }

  private skipByteOrderMark(): boolean {
    if (this.get() === 0xef) return this.get() === 0xbb && this.get() === 0xbf;
    this.unget();
    return true;
  }

  private literal(text: string, token: Tok): Tok {
    for (let i = 1; i < text.length; i++) {
      if (this.get() !== text.charCodeAt(i)) {
        this.errorMessage = "invalid literal";
        return Tok.ParseError;
      }
    }
    return token;
  }

  /** Four hex digits after `\u`, or -1. */
  private codepoint(): number {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.get();
      const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
      if (digit < 0) return -1;
      value = value * 16 + digit;
    }
    return value;
  }

  private string(): Tok {
    this.reset();
    let out = "";
    for (;;) {
      const c = this.get();
      if (c === EOF) return this.fail("invalid string: missing closing quote");
      if (c === 0x22) {
        this.text = out;
        return Tok.String;
      }
      if (c === 0x5c) {
        const escaped = this.escape();
        if (escaped === null) return Tok.ParseError;
        out += escaped;
      } else if (c < 0x20) {
        const short = SHORT_ESCAPES[c];
        return this.fail(`invalid string: control character U+${hex4(c)} (${CONTROL_NAMES[c]}) must be escaped to \\u${hex4(c)}${short ? ` or \\${short}` : ""}`);
      } else if (c < 0x80) out += String.fromCharCode(c);
      else {
        const ranges = utf8Continuations(c);
        if (ranges === undefined) return this.fail("invalid string: ill-formed UTF-8 byte");
        out += String.fromCharCode(c);
        for (let r = 0; r < ranges.length; r += 2) {
          const b = this.get();
          if (b < ranges[r] || b > ranges[r + 1]) return this.fail("invalid string: ill-formed UTF-8 byte");
          out += String.fromCharCode(b);
        }
      }
    }
  }

  private fail(message: string): Tok {
    this.errorMessage = message;
    return Tok.ParseError;
  }

  /** The bytes a backslash escape stands for, or null (errorMessage set). */
  private escape(): string | null {
    const c = this.get();
    switch (c) {
      case 0x22:
      case 0x5c:
      case 0x2f:
        return String.fromCharCode(c);
      case 0x62:
        return "\b";
      case 0x66:
        return "\f";
      case 0x6e:
        return "\n";
      case 0x72:
        return "\r";
      case 0x74:
        return "\t";
      case 0x75:
        break;
      default:
        this.errorMessage = "invalid string: forbidden character after backslash";
        return null;
    }
    const first = this.codepoint();
    if (first < 0) {
      this.errorMessage = "invalid string: '\\u' must be followed by 4 hex digits";
      return null;
    }
    if (first >= 0xd800 && first <= 0xdbff) {
      if (this.get() !== 0x5c || this.get() !== 0x75) {
        this.errorMessage = "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF";
        return null;
      }
      const second = this.codepoint();
      if (second < 0) {
        this.errorMessage = "invalid string: '\\u' must be followed by 4 hex digits";
        return null;
      }
      if (second < 0xdc00 || second > 0xdfff) {
        this.errorMessage = "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF";
        return null;
      }
      return utf8(((first - 0xd800) << 10) + (second - 0xdc00) + 0x10000);
    }
    if (first >= 0xdc00 && first <= 0xdfff) {
      this.errorMessage = "invalid string: surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF";
      return null;
    }
    return utf8(first);
  }

  private isDigit(c: number): boolean {
    return c >= 0x30 && c <= 0x39;
  }

  /** RFC 8259 number syntax, then conversion as strtoull/strtoll/strtod would. */
  private numberToken(): Tok {
    this.reset();
    let kind: "unsigned" | "integer" | "float" = "unsigned";
    let c = this.current;
    if (c === 0x2d) {
      kind = "integer";
      c = this.get();
      if (!this.isDigit(c)) return this.fail("invalid number; expected digit after '-'");
    }
    if (c !== 0x30) while (this.isDigit((c = this.get())));
    else c = this.get();
    if (c === 0x2e) {
      kind = "float";
      if (!this.isDigit(this.get())) return this.fail("invalid number; expected digit after '.'");
      while (this.isDigit((c = this.get())));
    }
    if (c === 0x65 || c === 0x45) {
      kind = "float";
      c = this.get();
      if (c === 0x2b || c === 0x2d) {
        if (!this.isDigit(this.get())) return this.fail("invalid number; expected digit after exponent sign");
      } else if (!this.isDigit(c)) return this.fail("invalid number; expected '+', '-', or digit after exponent");
      while (this.isDigit(this.get()));
    }
    this.unget();
    const text = this.input.slice(this.tokenStart, this.next);
    if (kind !== "float" && text.length <= 15) {
      this.number = Number(text);
      return kind === "unsigned" ? Tok.Unsigned : Tok.Integer;
    }
    if (kind !== "float") {
      const n = BigInt(text);
      if (kind === "unsigned" ? n < 2n ** 64n : n >= -(2n ** 63n)) {
        this.number = normalizeInt(n);
        return kind === "unsigned" ? Tok.Unsigned : Tok.Integer;
      }
    }
    this.number = new NixFloat(Number(text));
    return Tok.Float;
  }
}

/** A container being filled: a list, or a set with the key whose value comes next. */
type Frame = { list: Value[] } | { names: string[]; values: Value[]; key: string };

class Parser {
  private readonly lexer: Lexer;
  private last: Tok = Tok.Uninitialized;

  constructor(input: string) {
    this.lexer = new Lexer(input);
  }

  private token(): Tok {
    return (this.last = this.lexer.scan());
  }

  private syntaxError(expected: Tok, context: string): JsonParseError {
    let message = `syntax error while parsing ${context} - `;
    if (this.last === Tok.ParseError) message += `${this.lexer.errorMessage}; last read: '${this.lexer.tokenString()}'`;
    else message += `unexpected ${TOKEN_NAMES[this.last]}`;
    if (expected !== Tok.Uninitialized) message += `; expected ${TOKEN_NAMES[expected]}`;
    return new JsonParseError(`[json.exception.parse_error.101] parse error at ${this.lexer.position()}: ${message}`);
  }

  /** Reads `"key" :` after `{` or `,`; the current token must be the key. */
  private objectKey(frame: { key: string }): void {
    if (this.last !== Tok.String) throw this.syntaxError(Tok.String, "object key");
    frame.key = this.lexer.text;
    if (this.token() !== Tok.NameSeparator) throw this.syntaxError(Tok.NameSeparator, "object separator");
    this.token();
  }

  parse(): ForcedValue {
    const stack: Frame[] = [];
    let value: ForcedValue;
    this.token();
    for (;;) {
      // A value starts at the current token.
      switch (this.last) {
        case Tok.BeginObject: {
          const frame = { names: [], values: [], key: "" };
          if (this.token() === Tok.EndObject) {
            value = NixAttrs.EMPTY;
            break;
          }
          this.objectKey(frame);
          stack.push(frame);
          continue;
        }
        case Tok.BeginArray:
          if (this.token() === Tok.EndArray) {
            value = [];
            break;
          }
          stack.push({ list: [] });
          continue;
        case Tok.Float:
          if (!Number.isFinite((this.lexer.number as NixFloat).value)) {
            throw new JsonParseError(`[json.exception.out_of_range.406] number overflow parsing '${this.lexer.tokenString()}'`);
          }
          value = this.lexer.number;
          break;
        case Tok.Unsigned:
        case Tok.Integer:
          value = this.lexer.number;
          break;
        case Tok.True:
          value = true;
          break;
        case Tok.False:
          value = false;
          break;
        case Tok.Null:
          value = null;
          break;
        case Tok.String:
          value = cString(this.lexer.text);
          break;
        case Tok.ParseError:
          throw this.syntaxError(Tok.Uninitialized, "value");
        default:
          throw this.syntaxError(Tok.LiteralOrValue, "value");
      }
      // The value is complete: add it to its container, closing containers that end here.
      for (;;) {
        const frame = stack.at(-1);
        if (frame === undefined) {
          if (this.token() !== Tok.EndOfInput) throw this.syntaxError(Tok.EndOfInput, "value");
          return value;
        }
        if ("list" in frame) {
          frame.list.push(value);
          const after = this.token();
          if (after === Tok.ValueSeparator) {
            this.token();
            break;
          }
          if (after !== Tok.EndArray) throw this.syntaxError(Tok.EndArray, "array");
          value = frame.list;
        } else {
          frame.names.push(frame.key);
          frame.values.push(value);
          const after = this.token();
          if (after === Tok.ValueSeparator) {
            this.token();
            this.objectKey(frame);
            break;
          }
          if (after !== Tok.EndObject) throw this.syntaxError(Tok.EndObject, "object");
          value = objectValue(frame.names, frame.values);
        }
        stack.pop();
      }
    }
  }
}

/** The set of an object's members; of equal keys the last one counts. */
function objectValue(names: readonly string[], values: readonly Value[]): NixAttrs {
  const members = new Map<string, Value>();
  names.forEach((name, i) => members.set(name, values[i]));
  return NixAttrs.fromEntries([...members.keys()], [...members.values()]);
}

/** Parses JSON text (a byte string); throws JsonParseError with nlohmann's message. */
export function parseJson(text: string): ForcedValue {
  return new Parser(text).parse();
}
