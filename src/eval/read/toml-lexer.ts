// The token grammar of TOML as toml11 3.7 (the parser vendored in Nix 2.8) writes it: PEG
// combinators over bytes, greedy and without backtracking inside a repetition. A lexer takes
// the input and a position and returns where its match ends, or -1; it never looks at a
// position before the one it is given. The grammar's quirks are toml11's: for example string
// bodies accept any byte ≥ 0x80 (UTF-8 is checked afterwards), while comments must be UTF-8.

export type Lexer = (s: string, p: number) => number;

const NO = -1;

export function char(c: string): Lexer {
  const code = c.charCodeAt(0);
  return (s, p) => (p < s.length && s.charCodeAt(p) === code ? p + 1 : NO);
}

export function range(low: number, high: number): Lexer {
  return (s, p) => {
    if (p >= s.length) return NO;
    const c = s.charCodeAt(p);
    return c >= low && c <= high ? p + 1 : NO;
  };
}

export function seq(...parts: Lexer[]): Lexer {
  return (s, p) => {
    let q = p;
    for (const part of parts) {
      q = part(s, q);
      if (q < 0) return NO;
    }
    return q;
  };
}

export function either(...alternatives: Lexer[]): Lexer {
  return (s, p) => {
    for (const alternative of alternatives) {
      const q = alternative(s, p);
      if (q >= 0) return q;
    }
    return NO;
  };
}

export function maybe(x: Lexer): Lexer {
  return (s, p) => {
    const q = x(s, p);
    return q >= 0 ? q : p;
  };
}

/** At least `min` matches, then as many as there are. */
export function repeat(x: Lexer, min = 0): Lexer {
  return (s, p) => {
    let q = p;
    for (let n = 0; ; n++) {
      const r = x(s, q);
      if (r < 0 || r === q) return n >= min ? q : NO;
      q = r;
    }
  };
}

export function exactly(x: Lexer, n: number): Lexer {
  return seq(...Array.from({ length: n }, () => x));
}

/** One byte that does not start a match of `x`. */
export function exclude(x: Lexer): Lexer {
  return (s, p) => (p >= s.length || x(s, p) >= 0 ? NO : p + 1);
}

export const wsChar = either(char(" "), char("\t"));
export const ws = repeat(wsChar, 1);
export const newline = either(char("\n"), seq(char("\r"), char("\n")));
const alpha = either(range(0x61, 0x7a), range(0x41, 0x5a));
const digit = range(0x30, 0x39);
const nonzero = range(0x31, 0x39);
const hexDigit = either(digit, range(0x41, 0x46), range(0x61, 0x66));
const underscore = char("_");
const sign = either(char("+"), char("-"));

/** `first *(digit | _ digit)` for the given digit class. */
function digitsWithUnderscores(first: Lexer, next: Lexer): Lexer {
  return seq(first, repeat(either(next, seq(underscore, next))));
}

const unsignedDecInt = either(seq(nonzero, repeat(either(digit, seq(underscore, digit)), 1)), digit);
export const decInt = seq(maybe(sign), unsignedDecInt);
export const hexInt = seq(char("0"), char("x"), digitsWithUnderscores(hexDigit, hexDigit));
export const octInt = seq(char("0"), char("o"), digitsWithUnderscores(range(0x30, 0x37), range(0x30, 0x37)));
export const binInt = seq(char("0"), char("b"), digitsWithUnderscores(range(0x30, 0x31), range(0x30, 0x31)));
export const integer = either(binInt, octInt, hexInt, decInt);

const zeroPrefixableInt = digitsWithUnderscores(digit, digit);
const exponentPart = seq(either(char("e"), char("E")), maybe(sign), zeroPrefixableInt);
const specialFloat = seq(maybe(sign), either(seq(char("i"), char("n"), char("f")), seq(char("n"), char("a"), char("n"))));
export const float = either(specialFloat, seq(decInt, either(exponentPart, seq(char("."), zeroPrefixableInt, maybe(exponentPart)))));

export const boolean = either(seq(char("t"), char("r"), char("u"), char("e")), seq(char("f"), char("a"), char("l"), char("s"), char("e")));

export const twoDigits = exactly(digit, 2);
export const fourDigits = exactly(digit, 4);
export const timeSecfrac = seq(char("."), repeat(digit, 1));
export const timeNumOffset = seq(either(char("+"), char("-")), twoDigits, char(":"), twoDigits);
const timeOffset = either(char("Z"), char("z"), timeNumOffset);
export const localTime = seq(twoDigits, char(":"), twoDigits, char(":"), twoDigits, maybe(timeSecfrac));
export const localDate = seq(fourDigits, char("-"), twoDigits, char("-"), twoDigits);
const timeDelim = either(char("T"), char("t"), char(" "));
export const localDateTime = seq(localDate, timeDelim, localTime);
export const offsetDateTime = seq(localDate, timeDelim, localTime, timeOffset);

/** Bytes that may not appear unescaped in strings (tab is allowed). */
const controlChar = either(range(0x00, 0x08), range(0x0a, 0x1f), char("\x7f"));
export const escapeUnicodeShort = seq(char("u"), exactly(hexDigit, 4));
export const escapeUnicodeLong = seq(char("U"), exactly(hexDigit, 8));
const escaped = seq(char("\\"), either(char('"'), char("\\"), char("b"), char("f"), char("n"), char("r"), char("t"), escapeUnicodeShort, escapeUnicodeLong));
export const basicUnescaped = exclude(either(controlChar, char('"'), char("\\")));
export const quotationMark = char('"');
export const basicString = seq(quotationMark, repeat(either(basicUnescaped, escaped)), quotationMark);

const mlBasicDelim = exactly(char('"'), 3);
export const mlBasicOpen = mlBasicDelim;
export const mlBasicClose = seq(mlBasicDelim, maybe(char('"')), maybe(char('"')));
export const mlBasicUnescaped = exclude(either(controlChar, char("\\"), mlBasicDelim));
export const mlBasicEscapedNewline = seq(char("\\"), maybe(ws), newline, repeat(either(ws, newline)));
export const mlBasicString = seq(mlBasicOpen, repeat(either(either(mlBasicUnescaped, escaped), newline, mlBasicEscapedNewline)), mlBasicClose);

export const apostrophe = char("'");
export const literalChar = exclude(either(controlChar, apostrophe));
export const literalString = seq(apostrophe, repeat(literalChar), apostrophe);
const mlLiteralDelim = exactly(apostrophe, 3);
export const mlLiteralOpen = mlLiteralDelim;
export const mlLiteralClose = seq(mlLiteralDelim, maybe(apostrophe), maybe(apostrophe));
export const mlLiteralBody = repeat(either(exclude(either(controlChar, mlLiteralDelim)), newline));
export const mlLiteralString = seq(mlLiteralOpen, mlLiteralBody, mlLiteralClose);

export const unquotedKey = repeat(either(alpha, digit, char("-"), char("_")), 1);
const simpleKey = either(unquotedKey, basicString, literalString);
export const dottedKey = seq(simpleKey, repeat(seq(maybe(ws), char("."), maybe(ws), simpleKey), 1));
const key = either(dottedKey, simpleKey);
export const keyValueSeparator = seq(maybe(ws), char("="), maybe(ws));
export const stdTable = seq(char("["), maybe(ws), key, maybe(ws), char("]"));
export const arrayTable = seq(char("["), char("["), maybe(ws), key, maybe(ws), char("]"), char("]"));

const continuation = range(0x80, 0xbf);
const utf8TwoBytes = seq(range(0xc2, 0xdf), continuation);
const utf8ThreeBytes = seq(
  either(seq(char("\xe0"), range(0xa0, 0xbf)), seq(range(0xe1, 0xec), continuation), seq(char("\xed"), range(0x80, 0x9f)), seq(range(0xee, 0xef), continuation)),
  continuation,
);
const utf8FourBytes = seq(either(seq(char("\xf0"), range(0x90, 0xbf)), seq(range(0xf1, 0xf3), continuation), seq(char("\xf4"), range(0x80, 0x8f))), continuation, continuation);
export const utf8Code = either(range(0x00, 0x7f), utf8TwoBytes, utf8ThreeBytes, utf8FourBytes);
export const comment = seq(char("#"), repeat(either(char("\t"), range(0x20, 0x7e), utf8TwoBytes, utf8ThreeBytes, utf8FourBytes)));
/** Blank space inside arrays: spaces, newlines and comments. */
export const wsCommentNewline = repeat(either(wsChar, newline, comment));
/** The rest of a line: optional space and comment, then the newline. */
export const lineEnd = seq(maybe(ws), maybe(comment), newline);
