// The bindings of a set or let as Nix 2.8's parser builds them (addAttr in parser.y):
// `a.b.c = v` makes nested sets, later definitions of `a` or `a.b` merge into them, and
// anything defined twice is an error naming where it was defined first.
import { showIdentifier } from "../print/identifier.ts";
import { NO_POS } from "../position.ts";
import type { AttrDef, AttrName, AttrsExpr, Expr } from "./ast.ts";
import { ParseError } from "./parse-error.ts";
import { showAttrPath } from "./show.ts";

export class BindingsBuilder {
  /** Name → definition for every set touched, so lookups during parsing are O(1). */
  private readonly index = new Map<AttrsExpr, Map<string, AttrDef>>();
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
      const existing = this.lookup(target).get(name);
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
    const existing = this.lookup(target).get(name);
    if (!existing) {
      this.define(target, { name, value, pos, inherited: false });
      nameLambdas(value, name);
    } else if (value.kind === "Attrs" && existing.value.kind === "Attrs") {
      // `a = { … }` next to `a.x = …`: the attributes join the existing set. Nix 2.8 drops
      // the new set's dynamic attributes and `rec` here.
      const into = existing.value;
      const intoIndex = this.lookup(into);
      for (const def of value.attrs) {
        const clash = intoIndex.get(def.name);
        if (clash) throw this.duplicate(showIdentifier(def.name), clash.pos, def.pos);
        this.define(into, def);
      }
    } else {
      throw this.duplicate(showAttrPath(path), pos, existing.pos);
    }
  }

  /** One name of `inherit …;` or `inherit (e) …;`, with the value the caller made for it. */
  inherit(attrs: AttrsExpr, def: AttrDef): void {
    const existing = this.lookup(attrs).get(def.name);
    if (existing) throw this.duplicate(showIdentifier(def.name), def.pos, existing.pos);
    this.define(attrs, def);
  }

  private define(attrs: AttrsExpr, def: AttrDef): void {
    attrs.attrs.push(def);
    this.lookup(attrs).set(def.name, def);
  }

  private lookup(attrs: AttrsExpr): Map<string, AttrDef> {
    let names = this.index.get(attrs);
    if (!names) {
      names = new Map(attrs.attrs.map((def) => [def.name, def]));
      this.index.set(attrs, names);
    }
    return names;
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
