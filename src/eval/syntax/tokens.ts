// Token kinds of the Nix 2.8 lexer. Single-character tokens are their character code (as in
// Nix's flex/bison pair); the named ones use bison's numbers, so error messages can name a
// token exactly as Nix does ("unexpected ID, expecting '.' or '='").

export const T = {
  EOF: 0,
  ID: 258,
  STR: 260,
  IND_STR: 261,
  INT: 262,
  FLOAT: 263,
  PATH: 264,
  HPATH: 265,
  SPATH: 266,
  PATH_END: 267,
  URI: 268,
  IF: 269,
  THEN: 270,
  ELSE: 271,
  ASSERT: 272,
  WITH: 273,
  LET: 274,
  IN: 275,
  REC: 276,
  INHERIT: 277,
  EQ: 278,
  NEQ: 279,
  AND: 280,
  OR: 281,
  IMPL: 282,
  OR_KW: 283,
  DOLLAR_CURLY: 284,
  IND_STRING_OPEN: 285,
  IND_STRING_CLOSE: 286,
  ELLIPSIS: 287,
  LEQ: 288,
  GEQ: 289,
  UPDATE: 290,
  CONCAT: 292,
} as const;

export type TokenType = number;

/** Character codes of the single-character tokens the grammar uses. */
export const C = {
  BANG: 0x21,
  QUOTE: 0x22,
  LPAREN: 0x28,
  RPAREN: 0x29,
  STAR: 0x2a,
  PLUS: 0x2b,
  COMMA: 0x2c,
  MINUS: 0x2d,
  DOT: 0x2e,
  SLASH: 0x2f,
  COLON: 0x3a,
  SEMI: 0x3b,
  LT: 0x3c,
  ASSIGN: 0x3d,
  GT: 0x3e,
  QUESTION: 0x3f,
  AT: 0x40,
  LBRACKET: 0x5b,
  RBRACKET: 0x5d,
  LBRACE: 0x7b,
  RBRACE: 0x7d,
} as const;

const GRAMMAR_CHARS = new Set<number>(Object.values(C));

const NAMES = new Map<number, string>(Object.entries(T).map(([name, type]) => [type, name]));
NAMES.set(T.EOF, "end of file");

/**
 * The token's name in bison's error messages: `ID`, `'}'`, `end of file`, or `invalid token`
 * for a character the grammar never uses (`%`, `$`, a non-ASCII byte, …).
 */
export function tokenName(type: TokenType): string {
  if (type < 256) {
    if (type === T.EOF) return "end of file";
    return GRAMMAR_CHARS.has(type) ? `'${String.fromCharCode(type)}'` : "invalid token";
  }
  return NAMES.get(type) ?? "invalid token";
}

export interface Token {
  type: TokenType;
  /** Global positions (see ../position.ts) of the first byte and one past the last. */
  start: number;
  end: number;
  /**
   * ID, keywords, PATH, HPATH, SPATH, URI: the text. STR, IND_STR: the bytes it stands for.
   * INT: number or bigint. FLOAT: number. Otherwise null.
   */
  value: string | number | bigint | null;
  /** IND_STR only: plain text whose leading spaces count as indentation (not an escape). */
  indented: boolean;
}
