// The Nix 2.8 grammar (parser.y) as a recursive-descent parser with precedence climbing for
// the operators. It builds the same trees as Nix's bison actions (see ./ast.ts) and fails
// where Nix fails, with Nix's messages: bison's "syntax error, unexpected X, expecting Y"
// (the expectations are those of the LALR state bison is in, which the callers below know),
// the errors Nix's actions raise, and "memory exhausted" where bison's stack (10000 entries)
// would overflow — the parser counts the entries bison would hold (`depth`).
//
// Nix's grammar is GLR because of one ambiguity: after `{` at the start of an expression,
// `}` or an identifier may begin a lambda's formals or an attribute set. It is decided here by
// looking at up to two more tokens, reporting errors as GLR bison does when both readings fail.
import { NO_POS, type Source } from "../position.ts";
import type {
  AttrDef,
  AttrName,
  AttrsExpr,
  CallExpr,
  ConcatStringsExpr,
  Expr,
  Formal,
  Formals,
  LambdaExpr,
  StringExpr,
  VarExpr,
} from "./ast.ts";
import { BindingsBuilder } from "./bindings.ts";
import { Lexer } from "./lexer.ts";
import { ParseError } from "./parse-error.ts";
import { resolveHomePathLiteral, resolvePathLiteral } from "./paths.ts";
import { stripIndentation, type IndentedPart } from "./strings.ts";
import { C, T, tokenName, type Token, type TokenType } from "./tokens.ts";

export interface ParserOptions {
  /** Directory that relative path literals are relative to. */
  baseDir: string;
  /** Home directory for `~/…` path literals. */
  homeDir: string;
}

/**
 * Bison's YYMAXDEPTH (10000) less its headroom: pushing this many entries fails. The count
 * here is exact where bison parses deterministically, which is everywhere but right after a
 * `{` that may open formals: there GLR bison briefly holds a few extra entries, so for sets
 * nested some 2500 deep (`{ a = { a = …`) Nix gives up two or three levels earlier.
 */
const STACK_LIMIT = 9999;

// Operator precedence, as declared in parser.y from loosest to tightest.
const IMPL = 1;
const OR = 2;
const AND = 3;
const EQUALITY = 4;
const COMPARISON = 5;
const UPDATE = 6;
const NOT = 7;
const SUM = 8;
const PRODUCT = 9;
const CONCAT = 10;
const HAS_ATTR = 11;
const NEGATE = 12;

function binaryPrecedence(type: TokenType): number {
  switch (type) {
    case T.IMPL:
      return IMPL;
    case T.OR:
      return OR;
    case T.AND:
      return AND;
    case T.EQ:
    case T.NEQ:
      return EQUALITY;
    case C.LT:
    case C.GT:
    case T.LEQ:
    case T.GEQ:
      return COMPARISON;
    case T.UPDATE:
      return UPDATE;
    case C.PLUS:
    case C.MINUS:
      return SUM;
    case C.STAR:
    case C.SLASH:
      return PRODUCT;
    case T.CONCAT:
      return CONCAT;
    case C.QUESTION:
      return HAS_ATTR;
    default:
      return 0;
  }
}

/** Tokens that can start an `expr_select` (a function argument or list element). */
function startsSelect(type: TokenType): boolean {
  switch (type) {
    case T.ID:
    case T.INT:
    case T.FLOAT:
    case T.PATH:
    case T.HPATH:
    case T.SPATH:
    case T.URI:
    case T.LET:
    case T.REC:
    case T.IND_STRING_OPEN:
    case C.LBRACE:
    case C.QUOTE:
    case C.LPAREN:
    case C.LBRACKET:
      return true;
    default:
      return false;
  }
}

const ATTR_START: readonly TokenType[] = [T.ID, T.OR_KW, T.DOLLAR_CURLY, C.QUOTE];

export class Parser {
  private readonly source: Source;
  private readonly options: ParserOptions;
  private readonly lexer: Lexer;
  /** The lookahead token; null until needed, as bison reads it only when it must. */
  private current: Token | null = null;
  private readonly ahead: Token[] = [];
  /** End of the last token consumed. */
  private lastEnd = 0;
  private lastShifted: Token | null = null;
  /** Entries on bison's stack (its state 0 included). */
  private depth = 1;
  /** The token after an ambiguous `{ }`: an error there is reported as the lambda reading's. */
  private braceAlternative: Token | null = null;
  private readonly bindings: BindingsBuilder;

  constructor(source: Source, options: ParserOptions) {
    this.source = source;
    this.options = options;
    this.lexer = new Lexer(source);
    this.bindings = new BindingsBuilder((pos) => this.showPos(pos));
  }

  /** The whole input as one expression. */
  parse(): Expr {
    const expr = this.parseExpr();
    this.expect(T.EOF, [T.EOF]);
    return expr;
  }

  // ---- tokens ----

  private peek(): Token {
    return (this.current ??= this.ahead.length > 0 ? this.ahead.shift()! : this.lexer.next());
  }

  /** The token `k` places after the lookahead. */
  private peekAt(k: number): Token {
    this.peek();
    while (this.ahead.length < k) this.ahead.push(this.lexer.next());
    return this.ahead[k - 1];
  }

  private shift(): Token {
    const token = this.peek();
    this.current = null;
    this.lastShifted = token;
    this.lastEnd = token.end;
    if (++this.depth >= STACK_LIMIT) throw new ParseError("memory exhausted", token.start);
    return token;
  }

  /**
   * An empty rule's result goes on the stack; bison does that before reading the next token
   * when the state needs no lookahead (`defaulted`), so an overflow is reported at the last
   * token read.
   */
  private pushEmpty(defaulted: boolean): void {
    if (++this.depth >= STACK_LIMIT) {
      const at = defaulted && this.lastShifted ? this.lastShifted : this.peek();
      throw new ParseError("memory exhausted", at.start);
    }
  }

  private expect(type: TokenType, expected: readonly TokenType[]): Token {
    const token = this.peek();
    if (token.type !== type) throw this.syntaxError(token, expected);
    return this.shift();
  }

  private syntaxError(token: Token, expected: readonly TokenType[]): ParseError {
    const names = (token === this.braceAlternative ? [C.COLON, C.AT] : expected).map(tokenName);
    const expecting = names.length > 0 ? `, expecting ${names.join(" or ")}` : "";
    return new ParseError(`syntax error, unexpected ${tokenName(token.type)}${expecting}`, token.start);
  }

  private showPos(pos: number): string {
    if (pos === NO_POS) return "undefined position";
    const { line, column } = this.source.lineColumn(pos - this.source.base);
    return `${this.source.path ?? "(string)"}:${line}:${column}`;
  }

  // ---- expr, expr_function ----

  private parseExpr(): Expr {
    const token = this.peek();
    switch (token.type) {
      case T.ID: {
        const next = this.peekAt(1).type;
        if (next === C.COLON) return this.parseSimpleLambda();
        if (next === C.AT) return this.parseFormalsLambda();
        break;
      }
      case C.LBRACE:
        if (this.startsFormals()) return this.parseFormalsLambda();
        break;
      case T.ASSERT:
      case T.WITH:
        return this.parseAssertOrWith();
      case T.LET:
        if (this.peekAt(1).type !== C.LBRACE) return this.parseLet();
        break;
      case T.IF:
        return this.parseIf();
    }
    return this.parseOp(0);
  }

  /**
   * At `{`: whether formals follow. `{ ...`, `{ }:`, `{ } @`, `{ x,` `{ x ?` and `{ x }` are
   * formals; `{ x =` and `{ x .` are bindings; after `{ x` anything else fails both ways, and
   * bison then reports the bindings' expectation.
   */
  private startsFormals(): boolean {
    const first = this.peekAt(1);
    switch (first.type) {
      case T.ELLIPSIS:
        return true;
      case C.RBRACE: {
        const after = this.peekAt(2);
        if (after.type === C.COLON || after.type === C.AT) return true;
        this.braceAlternative = after;
        return false;
      }
      case T.ID: {
        const after = this.peekAt(2);
        switch (after.type) {
          case C.COMMA:
          case C.QUESTION:
          case C.RBRACE:
            return true;
          case C.DOT:
          case C.ASSIGN:
            return false;
          default:
            throw this.syntaxError(after, [C.DOT, C.ASSIGN]);
        }
      }
      default:
        return false;
    }
  }

  /** `x: body`. */
  private parseSimpleLambda(): LambdaExpr {
    const depth = this.depth;
    const id = this.shift();
    this.shift();
    const body = this.parseExpr();
    this.depth = depth + 1;
    return lambda(id.start, this.lastEnd, id.value as string, undefined, body);
  }

  /** `{ formals }: body`, `{ formals } @ x: body`, `x @ { formals }: body`. */
  private parseFormalsLambda(): LambdaExpr {
    const depth = this.depth;
    const start = this.peek().start;
    let arg: string | undefined;
    if (this.peek().type === T.ID) {
      arg = this.shift().value as string;
      this.shift(); // '@'
      this.expect(C.LBRACE, [C.LBRACE]);
    } else {
      this.shift(); // '{'
    }
    const formals = this.parseFormals();
    this.expect(C.RBRACE, [C.RBRACE]);
    if (arg === undefined) {
      const next = this.peek();
      if (next.type === C.AT) {
        this.shift();
        arg = this.expect(T.ID, [T.ID]).value as string;
      } else if (next.type !== C.COLON) {
        throw this.syntaxError(next, [C.COLON, C.AT]);
      }
    }
    this.expect(C.COLON, [C.COLON]);
    const body = this.parseExpr();
    // Nix checks the formals when it reduces the whole lambda, after the body.
    checkFormals(formals, arg, start);
    this.depth = depth + 1;
    return lambda(start, this.lastEnd, arg, formals, body);
  }

  /** `formal, formal, …` with optional trailing `...` (the grammar's right-recursive `formals`). */
  private parseFormals(): Formals {
    const depth = this.depth;
    const entries: Formal[] = [];
    let ellipsis = false;
    for (;;) {
      const token = this.peek();
      if (token.type === T.ELLIPSIS) {
        this.shift();
        ellipsis = true;
        break;
      }
      if (token.type !== T.ID) {
        this.pushEmpty(false);
        break;
      }
      const formalDepth = this.depth;
      this.shift();
      let def: Expr | undefined;
      if (this.peek().type === C.QUESTION) {
        this.shift();
        def = this.parseExpr();
      }
      this.depth = formalDepth + 1;
      entries.push({ name: token.value as string, default: def, pos: token.start });
      if (this.peek().type !== C.COMMA) break;
      this.shift();
    }
    this.depth = depth + 1;
    return { entries, ellipsis };
  }

  /** `assert cond; body` and `with env; body`. */
  private parseAssertOrWith(): Expr {
    const depth = this.depth;
    const keyword = this.shift();
    const first = this.parseExpr();
    this.expect(C.SEMI, [C.SEMI]);
    const body = this.parseExpr();
    this.depth = depth + 1;
    const span = { start: keyword.start, end: this.lastEnd };
    return keyword.type === T.ASSERT
      ? { kind: "Assert", ...span, cond: first, body }
      : { kind: "With", ...span, env: first, body, prevWith: 0 };
  }

  /** `let bindings in body`. */
  private parseLet(): Expr {
    const depth = this.depth;
    const let_ = this.shift();
    const attrs = emptyAttrs(let_.start, let_.start);
    this.pushEmpty(false);
    this.parseBindings(attrs, let_.end);
    this.expect(T.IN, []);
    const body = this.parseExpr();
    if (attrs.dynamicAttrs.length > 0) throw new ParseError("dynamic attributes not allowed in let", let_.start);
    this.depth = depth + 1;
    return { kind: "Let", start: let_.start, end: this.lastEnd, attrs: attrs.attrs, body };
  }

  private parseIf(): Expr {
    const depth = this.depth;
    const if_ = this.shift();
    const cond = this.parseExpr();
    this.expect(T.THEN, [T.THEN]);
    const then = this.parseExpr();
    this.expect(T.ELSE, [T.ELSE]);
    const else_ = this.parseExpr();
    this.depth = depth + 1;
    return { kind: "If", start: if_.start, end: this.lastEnd, cond, then, else: else_ };
  }

  // ---- expr_op ----

  /** Operators binding tighter than `minPrecedence`, by precedence climbing. */
  private parseOp(minPrecedence: number): Expr {
    const depth = this.depth;
    const start = this.peek().start;
    let left = this.parseUnary();
    // A non-associative level just used: the same level again right after is an error.
    let nonAssociative = 0;
    for (;;) {
      const op = this.peek();
      const precedence = binaryPrecedence(op.type);
      if (precedence < minPrecedence || precedence === 0) break;
      if (precedence === nonAssociative) throw this.syntaxError(op, []);
      this.shift();
      if (precedence === HAS_ATTR) {
        const path = this.parseAttrPath();
        left = { kind: "HasAttr", start, end: this.lastEnd, expr: left, path };
        nonAssociative = 0;
      } else {
        const rightStart = this.peek().start;
        const rightAssociative = precedence === IMPL || precedence === UPDATE || precedence === CONCAT;
        const right = this.parseOp(rightAssociative ? precedence : precedence + 1);
        left = binary(op, left, right, start, rightStart, this.lastEnd);
        nonAssociative = precedence === EQUALITY || precedence === COMPARISON ? precedence : 0;
      }
      this.depth = depth + 1;
    }
    return left;
  }

  /** `!e` and `-e`, whose operands take the operators that bind tighter than they do. */
  private parseUnary(): Expr {
    const token = this.peek();
    if (token.type !== C.BANG && token.type !== C.MINUS) return this.parseApp();
    const depth = this.depth;
    this.shift();
    const operand = this.parseOp((token.type === C.BANG ? NOT : NEGATE) + 1);
    this.depth = depth + 1;
    if (token.type === C.BANG) return { kind: "Not", start: token.start, end: this.lastEnd, expr: operand };
    const zero: Expr = { kind: "Int", start: token.start, end: token.end, value: 0 };
    return call(token.start, this.lastEnd, implicitVar("__sub", token), [zero, operand]);
  }

  // ---- expr_app, expr_select ----

  private parseApp(): Expr {
    const depth = this.depth;
    const start = this.peek().start;
    const fn = this.parseSelect();
    if (!startsSelect(this.peek().type)) return fn;
    // Nix adds arguments to an existing call, even one in parentheses: `(f a) b` is `f a b`.
    const app = fn.kind === "Call" ? fn : call(start, fn.end, fn, []);
    while (startsSelect(this.peek().type)) {
      app.args.push(this.parseSelect());
      app.end = this.lastEnd;
      this.depth = depth + 1;
    }
    return app;
  }

  private parseSelect(): Expr {
    const depth = this.depth;
    const start = this.peek().start;
    const expr = this.parseSimple();
    const next = this.peek();
    if (next.type === C.DOT) {
      this.shift();
      const path = this.parseAttrPath();
      let def: Expr | undefined;
      if (this.peek().type === T.OR_KW) {
        this.shift();
        def = this.parseSelect();
      }
      this.depth = depth + 1;
      return { kind: "Select", start, end: this.lastEnd, expr, path, default: def, pos: start };
    }
    if (next.type === T.OR_KW) {
      // `f or`: nixpkgs once had a function named `or`, so Nix 2.8 still reads this as a call.
      this.shift();
      this.depth = depth + 1;
      return call(start, this.lastEnd, expr, [makeVar("or", start, next.start, next.end)]);
    }
    return expr;
  }

  // ---- expr_simple ----

  private parseSimple(): Expr {
    const depth = this.depth;
    const token = this.peek();
    let expr: Expr;
    switch (token.type) {
      case T.ID:
        this.shift();
        expr =
          token.value === "__curPos"
            ? { kind: "CurPos", start: token.start, end: token.end }
            : makeVar(token.value as string, token.start, token.start, token.end);
        break;
      case T.INT:
        this.shift();
        expr = { kind: "Int", start: token.start, end: token.end, value: token.value as number | bigint };
        break;
      case T.FLOAT:
        this.shift();
        expr = { kind: "Float", start: token.start, end: token.end, value: token.value as number };
        break;
      case C.QUOTE:
        expr = this.parseString();
        break;
      case T.IND_STRING_OPEN:
        expr = this.parseIndentedString();
        break;
      case T.PATH:
      case T.HPATH:
        expr = this.parsePath();
        break;
      case T.SPATH: {
        this.shift();
        const name = (token.value as string).slice(1, -1);
        const nixPath = implicitVar("__nixPath", token);
        const nameString: StringExpr = { kind: "String", start: token.start, end: token.end, value: name };
        expr = call(token.start, token.end, implicitVar("__findFile", token), [nixPath, nameString]);
        break;
      }
      case T.URI:
        this.shift();
        expr = { kind: "String", start: token.start, end: token.end, value: token.value as string };
        break;
      case C.LPAREN:
        this.shift();
        expr = this.parseExpr();
        this.expect(C.RPAREN, [C.RPAREN]);
        break;
      case T.LET: {
        // `let { …; body = e; }`, the old form of let: `(rec { … }).body`.
        this.shift();
        const attrs = this.parseAttrsBody(true);
        expr = { kind: "Select", start: token.start, end: this.lastEnd, expr: attrs, path: ["body"], default: undefined, pos: NO_POS };
        break;
      }
      case T.REC:
        this.shift();
        expr = this.parseAttrsBody(true);
        expr.start = token.start;
        break;
      case C.LBRACE:
        expr = this.parseAttrsBody(false);
        break;
      case C.LBRACKET:
        expr = this.parseList();
        break;
      default:
        throw this.syntaxError(token, []);
    }
    this.depth = depth + 1;
    return expr;
  }

  /** `{ bindings }`, from the `{` on (after `rec` or `let`, which must be followed by it). */
  private parseAttrsBody(rec: boolean): AttrsExpr {
    const brace = this.expect(C.LBRACE, [C.LBRACE]);
    const attrs = emptyAttrs(brace.start, brace.start);
    attrs.rec = rec;
    this.pushEmpty(true);
    this.parseBindings(attrs, brace.end);
    this.expect(C.RBRACE, []);
    attrs.end = this.lastEnd;
    return attrs;
  }

  private parseList(): Expr {
    const bracket = this.shift();
    this.pushEmpty(true);
    const base = this.depth;
    const items: Expr[] = [];
    while (startsSelect(this.peek().type)) {
      items.push(this.parseSelect());
      this.depth = base;
    }
    this.expect(C.RBRACKET, []);
    return { kind: "List", start: bracket.start, end: this.lastEnd, items };
  }

  // ---- strings and paths ----

  /** `"…"`: a plain string, or with interpolations a string concatenation. */
  private parseString(): Expr {
    const quote = this.shift();
    const base = this.depth;
    const parts: Expr[] = [];
    const partPos: number[] = [];
    let interpolated = false;
    const first = this.peek();
    if (first.type === T.STR && this.peekAt(1).type !== T.DOLLAR_CURLY) {
      this.shift();
      parts.push(stringPart(first));
    } else if (first.type === T.STR || first.type === T.DOLLAR_CURLY) {
      interpolated = true;
      this.parseInterpolatedParts(parts, partPos, T.STR);
    } else {
      this.pushEmpty(false);
    }
    this.depth = base + 1;
    this.expect(C.QUOTE, [C.QUOTE]);
    const span = { start: quote.start, end: this.lastEnd };
    if (!interpolated) return { kind: "String", ...span, value: parts.length > 0 ? (parts[0] as StringExpr).value : "" };
    return { kind: "ConcatStrings", ...span, forceString: true, parts, partPos, pos: partPos[0] };
  }

  /**
   * string_parts_interpolated: text and `${…}`, starting with `${` or with text followed by
   * `${` (the caller has checked); `text` is the token type of text (STR).
   */
  private parseInterpolatedParts(parts: Expr[], partPos: number[], text: TokenType): void {
    const base = this.depth;
    const first = this.peek();
    if (first.type === text) {
      this.shift();
      parts.push(stringPart(first));
      partPos.push(first.start);
      // After text at the start of a path only `${` may follow.
      if (this.peek().type !== T.DOLLAR_CURLY) throw this.syntaxError(this.peek(), [T.DOLLAR_CURLY]);
    }
    for (;;) {
      const token = this.peek();
      if (token.type === text) {
        this.shift();
        parts.push(stringPart(token));
        partPos.push(token.start);
      } else if (token.type === T.DOLLAR_CURLY) {
        parts.push(this.parseInterpolation());
        partPos.push(token.start);
      } else {
        break;
      }
      this.depth = base + 1;
    }
  }

  /** `${ expr }`. */
  private parseInterpolation(): Expr {
    this.shift();
    const expr = this.parseExpr();
    this.expect(C.RBRACE, [C.RBRACE]);
    return expr;
  }

  /** `''…''`, with Nix's indentation stripping. */
  private parseIndentedString(): Expr {
    const open = this.shift();
    this.pushEmpty(true);
    const base = this.depth;
    const parts: IndentedPart<Expr>[] = [];
    for (;;) {
      const token = this.peek();
      if (token.type === T.IND_STR) {
        this.shift();
        parts.push({ kind: "text", text: token.value as string, indented: token.indented, pos: token.start, end: token.end });
      } else if (token.type === T.DOLLAR_CURLY) {
        parts.push({ kind: "expr", expr: this.parseInterpolation(), pos: token.start, end: this.lastEnd });
      } else if (token.type === T.IND_STRING_CLOSE) {
        this.shift();
        break;
      } else {
        throw this.syntaxError(token, [T.IND_STR, T.DOLLAR_CURLY, T.IND_STRING_CLOSE]);
      }
      this.depth = base;
    }
    const span = { start: open.start, end: this.lastEnd };
    const stripped = stripIndentation(parts);
    if (stripped.length === 0) return { kind: "String", ...span, value: "" };
    if (stripped.length === 1 && stripped[0].kind === "text") return { kind: "String", ...span, value: stripped[0].text };
    return {
      kind: "ConcatStrings",
      ...span,
      forceString: true,
      parts: stripped.map((part) =>
        part.kind === "expr" ? part.expr : { kind: "String", start: part.pos, end: part.end, value: part.text },
      ),
      partPos: stripped.map((part) => part.pos),
      pos: open.start,
    };
  }

  /** A path literal, with interpolations a concatenation that starts with the path. */
  private parsePath(): Expr {
    const token = this.shift();
    const text = token.value as string;
    const value =
      token.type === T.HPATH ? resolveHomePathLiteral(text, this.options.homeDir) : resolvePathLiteral(text, this.options.baseDir);
    const path: Expr = { kind: "Path", start: token.start, end: token.end, value };
    if (this.peek().type === T.PATH_END) {
      this.shift();
      return path;
    }
    const parts: Expr[] = [path];
    const partPos = [token.start];
    this.parseInterpolatedParts(parts, partPos, T.STR);
    const end = this.lastEnd;
    this.expect(T.PATH_END, [T.STR, T.PATH_END, T.DOLLAR_CURLY]);
    return { kind: "ConcatStrings", start: token.start, end, forceString: false, parts, partPos, pos: token.start };
  }

  // ---- bindings and attribute paths ----

  /**
   * The bindings of a set or let, up to the closing token (which the caller checks).
   * `bindingsStart` is where Nix places the variables `inherit` makes: just after the `{` or
   * `let`.
   */
  private parseBindings(attrs: AttrsExpr, bindingsStart: number): void {
    const base = this.depth;
    for (;;) {
      const token = this.peek();
      if (token.type === T.INHERIT) {
        this.parseInherit(attrs, bindingsStart);
      } else if (ATTR_START.includes(token.type)) {
        const path = this.parseAttrPath();
        this.expect(C.ASSIGN, [C.DOT, C.ASSIGN]);
        const value = this.parseExpr();
        this.expect(C.SEMI, [C.SEMI]);
        this.bindings.addAttr(attrs, path, value, token.start);
      } else {
        return;
      }
      this.depth = base;
    }
  }

  /** `inherit a b;` and `inherit (e) a b;`. */
  private parseInherit(attrs: AttrsExpr, bindingsStart: number): void {
    this.shift();
    let from: Expr | undefined;
    if (this.peek().type === C.LPAREN) {
      this.shift();
      from = this.parseExpr();
      this.expect(C.RPAREN, [C.RPAREN]);
      this.pushEmpty(true);
    } else {
      this.pushEmpty(false);
    }
    const base = this.depth;
    // Nix gives every inherited attribute one position: that of its (empty-rule) name list,
    // just after `inherit` or `)`.
    const namesPos = this.lastEnd;
    const names: Token[] = [];
    for (;;) {
      const token = this.peek();
      if (token.type === T.ID || token.type === T.OR_KW) {
        this.shift();
        names.push(token);
      } else if (token.type === C.QUOTE || token.type === T.DOLLAR_CURLY) {
        const name = this.parseStringAttr();
        if (typeof name !== "string") throw new ParseError("dynamic attributes not allowed in inherit", token.start);
        names.push({ ...token, value: name, end: this.lastEnd });
      } else {
        break;
      }
      this.depth = base;
    }
    this.expect(C.SEMI, []);
    for (const token of names) {
      const name = token.value as string;
      const value: Expr = from
        ? { kind: "Select", start: token.start, end: token.end, expr: from, path: [name], default: undefined, pos: bindingsStart }
        : makeVar(name, bindingsStart, token.start, token.end);
      const def: AttrDef = { name, value, pos: namesPos, inherited: from === undefined };
      this.bindings.inherit(attrs, def);
    }
  }

  /** `a.b."c".${d}`. */
  private parseAttrPath(): AttrName[] {
    const base = this.depth;
    const path = [this.parseAttrName()];
    while (this.peek().type === C.DOT) {
      this.shift();
      path.push(this.parseAttrName());
      this.depth = base + 1;
    }
    return path;
  }

  private parseAttrName(): AttrName {
    const token = this.peek();
    if (token.type === T.ID || token.type === T.OR_KW) {
      this.shift();
      return token.value as string;
    }
    if (token.type === C.QUOTE || token.type === T.DOLLAR_CURLY) return this.parseStringAttr();
    throw this.syntaxError(token, ATTR_START);
  }

  /** `"…"` or `${…}` as an attribute name: a constant string is a static name. */
  private parseStringAttr(): AttrName {
    const depth = this.depth;
    const expr = this.peek().type === C.QUOTE ? this.parseString() : this.parseInterpolation();
    this.depth = depth + 1;
    return expr.kind === "String" ? expr.value : expr;
  }
}

// ---- node constructors ----

function makeVar(name: string, pos: number, start: number, end: number): VarExpr {
  return { kind: "Var", start, end, name, pos, fromWith: false, level: -1, index: -1 };
}

/** A variable the parser makes up for an operator (`__sub`, `__lessThan`, …); Nix gives it no position. */
function implicitVar(name: string, at: Token): VarExpr {
  return makeVar(name, NO_POS, at.start, at.end);
}

function call(start: number, end: number, fn: Expr, args: Expr[]): CallExpr {
  return { kind: "Call", start, end, fn, args };
}

function lambda(start: number, end: number, arg: string | undefined, formals: Formals | undefined, body: Expr): LambdaExpr {
  return { kind: "Lambda", start, end, arg, formals, body, name: undefined };
}

function emptyAttrs(pos: number, start: number): AttrsExpr {
  return { kind: "Attrs", start, end: start, rec: false, attrs: [], dynamicAttrs: [], pos };
}

function stringPart(token: Token): StringExpr {
  return { kind: "String", start: token.start, end: token.end, value: token.value as string };
}

/** A binary operator with Nix's desugaring (see ./ast.ts). */
function binary(op: Token, left: Expr, right: Expr, start: number, rightStart: number, end: number): Expr {
  switch (op.type) {
    case C.PLUS: {
      const concat: ConcatStringsExpr = {
        kind: "ConcatStrings",
        start,
        end,
        forceString: false,
        parts: [left, right],
        partPos: [start, rightStart],
        pos: start,
      };
      return concat;
    }
    case C.MINUS:
      return call(start, end, implicitVar("__sub", op), [left, right]);
    case C.STAR:
      return call(start, end, implicitVar("__mul", op), [left, right]);
    case C.SLASH:
      return call(start, end, implicitVar("__div", op), [left, right]);
    case C.LT:
      return call(start, end, implicitVar("__lessThan", op), [left, right]);
    case C.GT:
      return call(start, end, implicitVar("__lessThan", op), [right, left]);
    case T.LEQ:
      return { kind: "Not", start, end, expr: call(start, end, implicitVar("__lessThan", op), [right, left]) };
    case T.GEQ:
      return { kind: "Not", start, end, expr: call(start, end, implicitVar("__lessThan", op), [left, right]) };
    case T.EQ:
      return { kind: "Eq", start, end, left, right };
    case T.NEQ:
      return { kind: "NEq", start, end, left, right };
    case T.AND:
      return { kind: "And", start, end, left, right };
    case T.OR:
      return { kind: "Or", start, end, left, right };
    case T.IMPL:
      return { kind: "Impl", start, end, left, right };
    case T.UPDATE:
      return { kind: "Update", start, end, left, right };
    default:
      return { kind: "ConcatLists", start, end, left, right };
  }
}

/**
 * Nix 2.8's checks of a pattern, made when the whole lambda has been parsed. With several
 * names given twice, Nix reports the one its symbol table happens to order first; here it is
 * the first repetition in the source.
 */
function checkFormals(formals: Formals, arg: string | undefined, lambdaStart: number): void {
  const seen = new Set<string>();
  for (const formal of formals.entries) {
    if (seen.has(formal.name)) throw new ParseError(`duplicate formal function argument '${formal.name}'`, formal.pos);
    seen.add(formal.name);
  }
  if (arg !== undefined && seen.has(arg)) throw new ParseError(`duplicate formal function argument '${arg}'`, lambdaStart);
}
