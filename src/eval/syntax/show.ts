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

function show(e: Expr, out: string[]): void {
  switch (e.kind) {
    case "Int":
      out.push(String(e.value));
      return;
    case "Float":
      out.push(formatFloatG(e.value));
      return;
    case "String":
      out.push(quoteExprString(e.value));
      return;
    case "Path":
      out.push(e.value);
      return;
    case "Var":
      out.push(showIdentifier(e.name));
      return;
    case "CurPos":
      out.push("__curPos");
      return;
    case "Select":
      out.push("(");
      show(e.expr, out);
      out.push(").", showAttrPath(e.path));
      if (e.default) {
        out.push(" or (");
        show(e.default, out);
        out.push(")");
      }
      return;
    case "HasAttr":
      out.push("((");
      show(e.expr, out);
      out.push(") ? ", showAttrPath(e.path), ")");
      return;
    case "Attrs": {
      out.push(e.rec ? "rec { " : "{ ");
      for (const def of byName(e.attrs)) {
        if (def.inherited) {
          out.push("inherit ", showIdentifier(def.name), " ; ");
        } else {
          out.push(showIdentifier(def.name), " = ");
          show(def.value, out);
          out.push("; ");
        }
      }
      for (const def of e.dynamicAttrs) {
        out.push('"${');
        show(def.name, out);
        out.push('}" = ');
        show(def.value, out);
        out.push("; ");
      }
      out.push("}");
      return;
    }
    case "List":
      out.push("[ ");
      for (const item of e.items) {
        out.push("(");
        show(item, out);
        out.push(") ");
      }
      out.push("]");
      return;
    case "Lambda":
      showLambda(e, out);
      return;
    case "Call":
      out.push("(");
      show(e.fn, out);
      for (const arg of e.args) {
        out.push(" ");
        show(arg, out);
      }
      out.push(")");
      return;
    case "Let":
      out.push("(let ");
      for (const def of byName(e.attrs)) {
        if (def.inherited) {
          out.push("inherit ", showIdentifier(def.name), "; ");
        } else {
          out.push(showIdentifier(def.name), " = ");
          show(def.value, out);
          out.push("; ");
        }
      }
      out.push("in ");
      show(e.body, out);
      out.push(")");
      return;
    case "With":
      out.push("(with ");
      show(e.env, out);
      out.push("; ");
      show(e.body, out);
      out.push(")");
      return;
    case "If":
      out.push("(if ");
      show(e.cond, out);
      out.push(" then ");
      show(e.then, out);
      out.push(" else ");
      show(e.else, out);
      out.push(")");
      return;
    case "Assert":
      out.push("assert ");
      show(e.cond, out);
      out.push("; ");
      show(e.body, out);
      return;
    case "Not":
      out.push("(! ");
      show(e.expr, out);
      out.push(")");
      return;
    case "ConcatStrings":
      out.push("(");
      e.parts.forEach((part, i) => {
        if (i > 0) out.push(" + ");
        show(part, out);
      });
      out.push(")");
      return;
    default:
      out.push("(");
      show(e.left, out);
      out.push(" ", BINARY_OPERATORS[e.kind], " ");
      show(e.right, out);
      out.push(")");
  }
}

function showLambda(e: LambdaExpr, out: string[]): void {
  out.push("(");
  if (e.formals) {
    out.push("{ ");
    const entries = [...e.formals.entries].sort((a, b) => compareNames(a.name, b.name));
    entries.forEach((formal, i) => {
      if (i > 0) out.push(", ");
      out.push(showIdentifier(formal.name));
      if (formal.default) {
        out.push(" ? ");
        show(formal.default, out);
      }
    });
    if (e.formals.ellipsis) out.push(entries.length > 0 ? ", ..." : "...");
    out.push(" }");
    if (e.arg !== undefined) out.push(" @ ");
  }
  if (e.arg !== undefined) out.push(showIdentifier(e.arg));
  out.push(": ");
  show(e.body, out);
  out.push(")");
}

function byName(defs: readonly AttrDef[]): AttrDef[] {
  return [...defs].sort((a, b) => compareNames(a.name, b.name));
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
