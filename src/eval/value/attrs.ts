// Attribute sets. Lookup by name is a JS Map lookup; iteration in byte order of the names
// (what Nix's sorted Bindings give: attrNames, printing, comparison, toJSON) uses a sorted
// name array computed on first use and cached. Since names are binary strings, JS's default
// string order is byte order. Each attribute keeps the position where it was defined
// (`unsafeGetAttrPos`, error traces); Attr records are immutable and shared between sets,
// so `//` copies references, never values.
import type { Pos } from "../position.ts";
import type { Value } from "./value.ts";

export class Attr {
  readonly value: Value;
  readonly pos: Pos;

  constructor(value: Value, pos: Pos) {
    this.value = value;
    this.pos = pos;
  }
}

export class NixAttrs {
  /** Do not mutate after the set has been handed out: sets are values. */
  readonly map: Map<string, Attr>;
  /** Where the set was written (0 if made by a builtin), for error messages. */
  readonly pos: Pos;
  private sorted: string[] | null = null;

  constructor(map: Map<string, Attr>, pos: Pos = 0) {
    this.map = map;
    this.pos = pos;
  }

  static readonly EMPTY = new NixAttrs(new Map());

  /** A set of the given values, all without positions (for builtins' results). */
  static of(entries: Record<string, Value>): NixAttrs {
    const map = new Map<string, Attr>();
    for (const name of Object.keys(entries)) map.set(name, new Attr(entries[name], 0));
    return new NixAttrs(map);
  }

  get size(): number {
    return this.map.size;
  }

  get(name: string): Value | undefined {
    return this.map.get(name)?.value;
  }

  attr(name: string): Attr | undefined {
    return this.map.get(name);
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  /** The names in byte order. The array is shared: do not modify it. */
  sortedNames(): readonly string[] {
    return (this.sorted ??= [...this.map.keys()].sort());
  }

  /** `this // other`: other's attributes win. Reuses an operand when the other is empty. */
  update(other: NixAttrs): NixAttrs {
    if (other.map.size === 0) return this;
    if (this.map.size === 0) return other;
    const map = new Map(this.map);
    for (const [name, attr] of other.map) map.set(name, attr);
    return new NixAttrs(map);
  }
}
