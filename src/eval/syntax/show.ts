// Expressions printed as `nix-instantiate --parse` prints them (Nix 2.8's Expr::show): fully
// parenthesised, with the parser's desugaring visible (`(__sub a b)`). One deliberate
// difference: Nix lists lambda formals and let bindings in the order of its symbol table's
// memory addresses, which is not reproducible; they are sorted by name here.
import { formatFloatG } from "../value/float.ts";
import { quoteExprString, showIdentifier } from "../print/identifier.ts";
import type { AttrDef, AttrName, Expr, LambdaExpr } from "./ast.ts";

export function showExpr(e: Expr): string {
  const out: string[] = [];
  show(e, out);
  return out.join("");
}

/** An attribute path as Nix shows it in messages: `a.b`, `"a b"`, `"${x}"`. */
export function showAttrPath(path: readonly AttrName[]): string {
  return path.map((name) => (typeof name === "string" ? showIdentifier(name) : `"\${${showExpr(name)}}"`)).join(".");
}

const BINARY_OPERATORS = { Eq: "==", NEq: "!=", And: "&&", Or: "||", Impl: "->", Update: "//", ConcatLists: "++" } as const;

/** Writes text as it is and expressions shown. */
function emit(out: string[], ...pieces: (string | Expr)[]): void {
  for (const piece of pieces) {
    if (typeof piece === "string") out.push(piece);
    else show(piece, out);
  }
}

function show(e: Expr, out: string[]): void {
  switch (e.kind) {
    case "Int":
      return emit(out, String(e.value));
    case "Float":
      return emit(out, formatFloatG(e.value));
    case "String":
      return emit(out, quoteExprString(e.value));
    case "Path":
      return emit(out, e.value);
    case "Var":
      return emit(out, showIdentifier(e.name));
    case "CurPos":
      return emit(out, "__curPos");
    case "Select":
      emit(out, "(", e.expr, ").", showAttrPath(e.path));
      if (e.default) emit(out, " or (", e.default, ")");
      return;
    case "HasAttr":
      return emit(out, "((", e.expr, ") ? ", showAttrPath(e.path), ")");
    case "Attrs":
      emit(out, e.rec ? "rec { " : "{ ");
      showBindings(e.attrs, " ; ", out);
      for (const def of e.dynamicAttrs) emit(out, '"${', def.name, '}" = ', def.value, "; ");
      return emit(out, "}");
    case "List":
      emit(out, "[ ");
      for (const item of e.items) emit(out, "(", item, ") ");
      return emit(out, "]");
    case "Lambda":
      return showLambda(e, out);
    case "Call":
      emit(out, "(", e.fn);
      for (const arg of e.args) emit(out, " ", arg);
      return emit(out, ")");
    case "Let":
      emit(out, "(let ");
      showBindings(e.attrs, "; ", out);
      return emit(out, "in ", e.body, ")");
    case "With":
      return emit(out, "(with ", e.env, "; ", e.body, ")");
    case "If":
      return emit(out, "(if ", e.cond, " then ", e.then, " else ", e.else, ")");
    case "Assert":
      return emit(out, "assert ", e.cond, "; ", e.body);
    case "Not":
      return emit(out, "(! ", e.expr, ")");
    case "ConcatStrings":
      emit(out, "(");
      e.parts.forEach((part, i) => emit(out, i > 0 ? " + " : "", part));
      return emit(out, ")");
    default:
      return emit(out, "(", e.left, ` ${BINARY_OPERATORS[e.kind]} `, e.right, ")");
  }
}

/** `name = value; ` and `inherit name<end>` (Nix ends inherits of sets with " ; ", of lets with "; "). */
function showBindings(defs: readonly AttrDef[], inheritEnd: string, out: string[]): void {
  for (const def of [...defs].sort((a, b) => compareNames(a.name, b.name))) {
    if (def.inherited) emit(out, "inherit ", showIdentifier(def.name), inheritEnd);
    else emit(out, showIdentifier(def.name), " = ", def.value, "; ");
  }
}

function showLambda(e: LambdaExpr, out: string[]): void {
  emit(out, "(");
  if (e.formals) {
    emit(out, "{ ");
    const entries = [...e.formals.entries].sort((a, b) => compareNames(a.name, b.name));
    entries.forEach((formal, i) => {
      emit(out, i > 0 ? ", " : "", showIdentifier(formal.name));
      if (formal.default) emit(out, " ? ", formal.default);
    });
    if (e.formals.ellipsis) emit(out, entries.length > 0 ? ", ..." : "...");
    emit(out, " }", e.arg !== undefined ? " @ " : "");
  }
  emit(out, e.arg !== undefined ? showIdentifier(e.arg) : "", ": ", e.body, ")");
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
