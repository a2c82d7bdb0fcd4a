// Attribute sets, kept the way Nix keeps its Bindings: names sorted in byte order (which for
// binary strings is JS's default string order), with the values and definition positions in
// arrays alongside. Sorted order is what attrNames, printing, comparison and toJSON need, and
// `//` is a linear merge of two sorted arrays.
//
// The names live in a Shape, shared by every set with the same names: all the sets one
// `{ a = …; b = …; }` literal makes, the result of mapAttrs and its argument, and so on. A
// shape finds a name by scanning when it is small and through a Map (built on first use)
// otherwise, so a set itself is just two arrays and costs little to make.
import type { Pos } from "../position.ts";
import type { Value } from "./value.ts";

/** Up to this many names, scanning beats hashing. */
const SCAN_LIMIT = 8;

export class Shape {
  /** Sorted, without duplicates. */
  readonly names: readonly string[];
  private index: Map<string, number> | null = null;

  constructor(sortedNames: readonly string[]) {
    this.names = sortedNames;
  }

  static readonly EMPTY = new Shape([]);

  /** Position of `name` in `names`, or -1. */
  indexOf(name: string): number {
    const names = this.names;
    if (names.length <= SCAN_LIMIT) {
      for (let i = 0; i < names.length; i++) if (names[i] === name) return i;
      return -1;
    }
    if (this.index === null) {
      this.index = new Map();
      for (let i = 0; i < names.length; i++) this.index.set(names[i], i);
    }
    return this.index.get(name) ?? -1;
  }
}

export class NixAttrs {
  readonly shape: Shape;
  /** Aligned with shape.names. */
  readonly values: readonly Value[];
  /** Where each attribute was defined (unsafeGetAttrPos); null when none is known. */
  readonly positions: readonly Pos[] | null;
  /** Where the set was written (0 if made by a builtin or `//`), for error messages. */
  readonly pos: Pos;

  constructor(shape: Shape, values: readonly Value[], positions: readonly Pos[] | null = null, pos: Pos = 0) {
    this.shape = shape;
    this.values = values;
    this.positions = positions;
    this.pos = pos;
  }

  static readonly EMPTY = new NixAttrs(Shape.EMPTY, []);

  /**
   * A set from names in any order (sorted here). Names must be unique; `positions` may be
   * omitted when none is known.
   */
  static fromEntries(names: readonly string[], values: readonly Value[], positions?: readonly Pos[], pos: Pos = 0): NixAttrs {
    const order = names.map((_, i) => i).sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
    return new NixAttrs(
      new Shape(order.map((i) => names[i])),
      order.map((i) => values[i]),
      positions ? order.map((i) => positions[i]) : null,
      pos,
    );
  }

  /** A set of the given values, without positions (for builtins' results). */
  static of(entries: Record<string, Value>): NixAttrs {
    const names = Object.keys(entries);
    return NixAttrs.fromEntries(
      names,
      names.map((name) => entries[name]),
    );
  }

  get size(): number {
    return this.values.length;
  }

  /** The names in byte order. Shared: do not modify. */
  get names(): readonly string[] {
    return this.shape.names;
  }

  get(name: string): Value | undefined {
    const i = this.shape.indexOf(name);
    return i < 0 ? undefined : this.values[i];
  }

  has(name: string): boolean {
    return this.shape.indexOf(name) >= 0;
  }

  /** The position of the attribute at index `i` (0 if unknown). */
  posAt(i: number): Pos {
    return this.positions === null ? 0 : this.positions[i];
  }

  /** `this // other`: other's attributes win. Reuses an operand when the other is empty. */
  update(other: NixAttrs): NixAttrs {
    if (other.size === 0) return this;
    if (this.size === 0) return other;
    const a = this.shape.names;
    const b = other.shape.names;
    const names: string[] = [];
    const values: Value[] = [];
    const positions: Pos[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      if (a[i] === b[j]) {
        i++;
        names.push(b[j]);
        values.push(other.values[j]);
        positions.push(other.posAt(j++));
      } else if (a[i] < b[j]) {
        names.push(a[i]);
        values.push(this.values[i]);
        positions.push(this.posAt(i++));
      } else {
        names.push(b[j]);
        values.push(other.values[j]);
        positions.push(other.posAt(j++));
      }
    }
    for (; i < a.length; i++) {
      names.push(a[i]);
      values.push(this.values[i]);
      positions.push(this.posAt(i));
    }
    for (; j < b.length; j++) {
      names.push(b[j]);
      values.push(other.values[j]);
      positions.push(other.posAt(j));
    }
    return new NixAttrs(names.length === a.length ? this.shape : new Shape(names), values, this.positions === null && other.positions === null ? null : positions);
  }
}
