// What std::regex_traits<char> knows about characters in the "C" locale (the locale Nix 2.8's
// regexes are built in): the character classes of each byte, the `[:name:]` class names, the
// `[.name.]` collating element names, and the `[=x=]` equivalence key. Bytes ≥ 0x80 belong to
// no class in the C locale.

const UPPER = 1 << 0;
const LOWER = 1 << 1;
const ALPHA = 1 << 2;
const DIGIT = 1 << 3;
const XDIGIT = 1 << 4;
const SPACE = 1 << 5;
const PRINT = 1 << 6;
const CNTRL = 1 << 7;
const PUNCT = 1 << 8;
const BLANK = 1 << 9;
/** Not a ctype class: regex_traits' extra bit that makes `[:w:]` match '_'. */
const UNDERSCORE = 1 << 10;

/** A set of classes, as regex_traits' char_class_type (ctype masks plus the underscore bit). */
export type ClassMask = number;

function classesOf(c: number): number {
  let mask = 0;
  if (c >= 0x41 && c <= 0x5a) mask |= UPPER | ALPHA;
  if (c >= 0x61 && c <= 0x7a) mask |= LOWER | ALPHA;
  if (c >= 0x30 && c <= 0x39) mask |= DIGIT;
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)) mask |= XDIGIT;
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) mask |= SPACE;
  if (c === 0x20 || c === 0x09) mask |= BLANK;
  if (c >= 0x20 && c <= 0x7e) mask |= PRINT;
  if (c < 0x20 || c === 0x7f) mask |= CNTRL;
  if (c > 0x20 && c <= 0x7e && !(mask & (ALPHA | DIGIT))) mask |= PUNCT;
  return mask;
}

const CLASSES = Uint16Array.from({ length: 256 }, (_, c) => classesOf(c));

/** ctype's masks are unions: `alnum` is alpha|digit, `graph` alpha|digit|punct (glibc). */
const CLASS_NAMES: ReadonlyMap<string, ClassMask> = new Map([
  ["d", DIGIT],
  ["w", ALPHA | DIGIT | UNDERSCORE],
  ["s", SPACE],
  ["alnum", ALPHA | DIGIT],
  ["alpha", ALPHA],
  ["blank", BLANK],
  ["cntrl", CNTRL],
  ["digit", DIGIT],
  ["graph", ALPHA | DIGIT | PUNCT],
  ["lower", LOWER],
  ["print", PRINT],
  ["punct", PUNCT],
  ["space", SPACE],
  ["upper", UPPER],
  ["xdigit", XDIGIT],
]);

/** The mask of a `[:name:]` class (the name is case-insensitive), or 0 if there is none. */
export function lookupClassName(name: string): ClassMask {
  return CLASS_NAMES.get(toLowerAscii(name)) ?? 0;
}

export function isInClass(byte: number, mask: ClassMask): boolean {
  return (CLASSES[byte] & mask) !== 0 || (byte === 0x5f && (mask & UNDERSCORE) !== 0);
}

export function isDigit(byte: number): boolean {
  return (CLASSES[byte] & DIGIT) !== 0;
}

/** The names regex_traits::lookup_collatename knows, indexed by the byte they stand for. */
const COLLATING_NAMES: readonly string[] = [
  "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "alert", "backspace", "tab", "newline", "vertical-tab",
  "form-feed", "carriage-return", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN",
  "EM", "SUB", "ESC", "IS4", "IS3", "IS2", "IS1", "space", "exclamation-mark", "quotation-mark",
  "number-sign", "dollar-sign", "percent-sign", "ampersand", "apostrophe", "left-parenthesis",
  "right-parenthesis", "asterisk", "plus-sign", "comma", "hyphen", "period", "slash", "zero", "one", "two",
  "three", "four", "five", "six", "seven", "eight", "nine", "colon", "semicolon", "less-than-sign",
  "equals-sign", "greater-than-sign", "question-mark", "commercial-at",
  ..."ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  "left-square-bracket", "backslash", "right-square-bracket", "circumflex", "underscore", "grave-accent",
  ..."abcdefghijklmnopqrstuvwxyz",
  "left-curly-bracket", "vertical-line", "right-curly-bracket", "tilde", "DEL",
];

/** The byte a `[.name.]` collating element names, or -1. Digits and most punctuation only go by name. */
export function lookupCollatingElement(name: string): number {
  return COLLATING_NAMES.indexOf(name);
}

/** The key `[=x=]` compares by: the C locale's primary collation key, i.e. the lower-case byte. */
export function equivalenceKey(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte;
}

function toLowerAscii(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x20));
}
