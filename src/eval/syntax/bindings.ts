// The bindings of a set or let as Nix 2.8's parser builds them (addAttr in parser.y):
// `a.b.c = v` makes nested sets, later definitions of `a` or `a.b` merge into them, and
// anything defined twice is an error naming where it was defined first.
import { showIdentifier } from "../print/identifier.ts";
import { NO_POS } from "../position.ts";
import type { AttrDef, AttrName, AttrsExpr, Expr } from "./ast.ts";
import { ParseError } from "./parse-error.ts";
import { showAttrPath } from "./show.ts";

/** Sets up to this size are searched by scanning; larger ones get an index. */
const SMALL_SET = 8;

export class BindingsBuilder {
  /** Name → definition for the larger sets, so that lookups stay O(1). */
  private readonly indexes = new Map<AttrsExpr, Map<string, AttrDef>>();
  /** Shows a position the way Nix 2.8 prints a `Pos` inside a message. */
  private readonly showPos: (pos: number) => string;

  constructor(showPos: (pos: number) => string) {
    this.showPos = showPos;
  }

  /** `path = value;` at `pos` (the start of the attribute path). */
  addAttr(attrs: AttrsExpr, path: AttrName[], value: Expr, pos: number): void {
    let target = attrs;
    const last = path.length - 1;
    for (let i = 0; i < last; i++) {
      const name = path[i];
      if (typeof name !== "string") {
        const nested = nestedAttrs(name.start, value.end);
        target.dynamicAttrs.push({ name, value: nested, pos });
        target = nested;
        continue;
      }
      const existing = this.find(target, name);
      if (existing) {
        if (existing.inherited || existing.value.kind !== "Attrs") throw this.duplicate(showAttrPath(path), pos, existing.pos);
        target = existing.value;
      } else {
        const nested = nestedAttrs(pos, value.end);
        this.define(target, { name, value: nested, pos, inherited: false });
        target = nested;
      }
    }
    const name = path[last];
    if (typeof name !== "string") {
      target.dynamicAttrs.push({ name, value, pos });
      return;
    }
    const existing = this.find(target, name);
    if (!existing) {
      this.define(target, { name, value, pos, inherited: false });
      nameLambdas(value, name);
    } else if (value.kind === "Attrs" && existing.value.kind === "Attrs") {
      // `a = { … }` next to `a.x = …`: the attributes join the existing set. Nix 2.8 drops
      // the new set's dynamic attributes and `rec` here.
      const into = existing.value;
      for (const def of value.attrs) {
        const clash = this.find(into, def.name);
        if (clash) throw this.duplicate(showIdentifier(def.name), clash.pos, def.pos);
        this.define(into, def);
      }
    } else {
      throw this.duplicate(showAttrPath(path), pos, existing.pos);
    }
  }

  /** One name of `inherit …;` or `inherit (e) …;`, with the value the caller made for it. */
  inherit(attrs: AttrsExpr, def: AttrDef): void {
    const existing = this.find(attrs, def.name);
    if (existing) throw this.duplicate(showIdentifier(def.name), def.pos, existing.pos);
    this.define(attrs, def);
  }

  private define(attrs: AttrsExpr, def: AttrDef): void {
    attrs.attrs.push(def);
    this.indexes.get(attrs)?.set(def.name, def);
  }

  private find(attrs: AttrsExpr, name: string): AttrDef | undefined {
    const defs = attrs.attrs;
    if (defs.length <= SMALL_SET) {
      for (const def of defs) if (def.name === name) return def;
      return undefined;
    }
    let index = this.indexes.get(attrs);
    if (!index) {
      index = new Map(defs.map((def) => [def.name, def]));
      this.indexes.set(attrs, index);
    }
    return index.get(name);
  }

  private duplicate(shownName: string, pos: number, previous: number): ParseError {
    return new ParseError(`attribute '${shownName}' already defined at ${this.showPos(previous)}`, pos);
  }
}

/** The set `a.b = …` makes for `a`; Nix gives it no position. */
function nestedAttrs(start: number, end: number): AttrsExpr {
  return { kind: "Attrs", start, end, rec: false, attrs: [], dynamicAttrs: [], pos: NO_POS };
}

/** Nix names a function after the attribute it is bound to, and the functions it returns too. */
function nameLambdas(value: Expr, name: string): void {
  for (let e = value; e.kind === "Lambda"; e = e.body) e.name = name;
}
