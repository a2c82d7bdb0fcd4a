// The abstract syntax of Nix 2.8, shaped like Nix's own Expr classes so that the evaluator can
// follow Nix's semantics one to one, including what its parser desugars:
//
//   a - b, a * b, a / b, -a      →  Call(Var __sub / __mul / __div, …)   (so a `let __sub` applies)
//   a < b, a > b, a <= b, a >= b →  Call(Var __lessThan, …), under Not for <= and >=
//   a + b                        →  ConcatStrings (forceString false), the same node as "${a}b"
//   <nixpkgs/lib>                →  Call(Var __findFile, [Var __nixPath, String "nixpkgs/lib"])
//   f or                         →  Call(f, [Var or])          (nixpkgs once had a function `or`)
//   let { …; body = e; }         →  Select(rec Attrs, ["body"])
//   a.b.c = 1; (in a set)        →  nested Attrs, merged with other definitions of a / a.b
//   f a b, (f a) b               →  one Call with args [a, b]
//
// Nodes are plain objects with a `kind`. Positions are numbers in the global position space
// of ../position.ts (NO_POS = 0): every node has its source span `start`/`end`; `pos`, where a
// node has one, is the position Nix reports for it, which Nix sometimes puts elsewhere than
// the node's start (see AttrsExpr, VarExpr). Nodes without `pos` are reported at `start`, when
// Nix reports them at all. Strings are byte strings (one char per byte).
import type { NixInt } from "../value/int.ts";

export type Expr =
  | IntExpr
  | FloatExpr
  | StringExpr
  | PathExpr
  | VarExpr
  | CurPosExpr
  | SelectExpr
  | HasAttrExpr
  | AttrsExpr
  | ListExpr
  | LambdaExpr
  | CallExpr
  | LetExpr
  | WithExpr
  | IfExpr
  | AssertExpr
  | NotExpr
  | BinaryExpr
  | ConcatStringsExpr;

interface Span {
  start: number;
  end: number;
}

export interface IntExpr extends Span {
  kind: "Int";
  value: NixInt;
}

export interface FloatExpr extends Span {
  kind: "Float";
  value: number;
}

/** A string without interpolation; also a URI literal. */
export interface StringExpr extends Span {
  kind: "String";
  value: string;
}

/** A path literal without interpolation, already absolute (resolved when parsed, as Nix does). */
export interface PathExpr extends Span {
  kind: "Path";
  value: string;
}

/**
 * A variable. Resolution (filled in by ./scope.ts): a lexical variable is slot `index` of the
 * scope `level` scopes up (with scopes count too); a variable from `with` (fromWith) is looked
 * up in the `with` that is `level` scopes up, then in the ones it encloses.
 */
export interface VarExpr extends Span {
  kind: "Var";
  name: string;
  /** NO_POS for the variables Nix's parser makes up (`__sub`, `__findFile`, …). */
  pos: number;
  fromWith: boolean;
  level: number;
  index: number;
}

/** `__curPos`. */
export interface CurPosExpr extends Span {
  kind: "CurPos";
}

/** An attribute name: a string, or an expression for `${e}` / `"…${e}…"`. */
export type AttrName = string | Expr;

export interface SelectExpr extends Span {
  kind: "Select";
  expr: Expr;
  path: AttrName[];
  /** The `or` default. */
  default: Expr | undefined;
  pos: number;
}

/** `e ? a.b`. */
export interface HasAttrExpr extends Span {
  kind: "HasAttr";
  expr: Expr;
  path: AttrName[];
}

export interface AttrDef {
  name: string;
  value: Expr;
  /** Where Nix says the attribute is defined (`unsafeGetAttrPos`). */
  pos: number;
  /**
   * `inherit x;` (value is Var x, evaluated outside a rec set or let). `inherit (e) x;` is
   * not marked: its value Select(e, [x]) is evaluated inside, as in Nix 2.8.
   */
  inherited: boolean;
}

export interface DynamicAttrDef {
  name: Expr;
  value: Expr;
  pos: number;
}

export interface AttrsExpr extends Span {
  kind: "Attrs";
  rec: boolean;
  /** In order of first definition; names are unique. */
  attrs: AttrDef[];
  dynamicAttrs: DynamicAttrDef[];
  /** The `{` (NO_POS for the sets made from `a.b = …`). */
  pos: number;
}

export interface ListExpr extends Span {
  kind: "List";
  items: Expr[];
}

export interface Formal {
  name: string;
  default: Expr | undefined;
  pos: number;
}

export interface Formals {
  /** In source order. */
  entries: Formal[];
  ellipsis: boolean;
}

/**
 * `arg: body`, `{ formals }: body`, `arg @ { formals }: body`. Its scope's slots are the arg
 * (if any) followed by the formals in order.
 */
export interface LambdaExpr extends Span {
  kind: "Lambda";
  arg: string | undefined;
  formals: Formals | undefined;
  body: Expr;
  /** The attribute name it was first bound to (`f = x: …`), as Nix uses in traces. */
  name: string | undefined;
}

export interface CallExpr extends Span {
  kind: "Call";
  fn: Expr;
  args: Expr[];
}

/** `let … in body`. Its scope's slots are the attrs in order. */
export interface LetExpr extends Span {
  kind: "Let";
  attrs: AttrDef[];
  body: Expr;
}

export interface WithExpr extends Span {
  kind: "With";
  env: Expr;
  body: Expr;
  /** How many scopes up from this `with`'s own scope the enclosing `with` is; 0 if none. */
  prevWith: number;
}

export interface IfExpr extends Span {
  kind: "If";
  cond: Expr;
  then: Expr;
  else: Expr;
}

export interface AssertExpr extends Span {
  kind: "Assert";
  cond: Expr;
  body: Expr;
}

export interface NotExpr extends Span {
  kind: "Not";
  expr: Expr;
}

/** `==` `!=` `&&` `||` `->` `//` `++`. */
export interface BinaryExpr extends Span {
  kind: "Eq" | "NEq" | "And" | "Or" | "Impl" | "Update" | "ConcatLists";
  left: Expr;
  right: Expr;
}

/**
 * `"a${b}c"` and `''…''` with interpolation (forceString true), `./a/${b}` and `a + b`
 * (forceString false: the first part decides whether the result is a path, a string or a
 * number). `partPos` holds the position Nix gives each part: the part's start, or the `${` of
 * an interpolation.
 */
export interface ConcatStringsExpr extends Span {
  kind: "ConcatStrings";
  forceString: boolean;
  parts: Expr[];
  partPos: number[];
  /** Nix's position: the start, except for `"…"` strings, where it is their first part. */
  pos: number;
}
