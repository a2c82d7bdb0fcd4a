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

const interned = new Map<string, string>();

/**
 * One shared string object per attribute name, for the names written in source code (the
 * compiler interns them). Parsed names are slices of the source text; equal interned names
 * are the same object, so the comparisons of lookups and `//` merges stop at the pointer.
 */
export function internName(name: string): string {
  const known = interned.get(name);
  if (known !== undefined) return known;
  interned.set(name, name);
  return name;
}

/** Up to this many names, scanning beats hashing. */
const SCAN_LIMIT = 8;

export class Shape {
  /** Sorted, without duplicates. */
  readonly names: readonly string[];
  /** Name → index, built once a shape has been searched often enough to pay for it. */
  private index: Map<string, number> | null = null;
  private lookups = 0;

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
    if (this.index !== null) return this.index.get(name) ?? -1;
    // Binary search, as Nix does, until hashing has become worth its setup cost.
    if (++this.lookups * 16 > names.length) {
      this.index = new Map();
      for (let i = 0; i < names.length; i++) this.index.set(names[i], i);
      return this.index.get(name) ?? -1;
    }
    const i = lowerBound(names, name);
    return names[i] === name ? i : -1;
  }
}

/** The first index whose name is not less than `name`. */
function lowerBound(names: readonly string[], name: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (names[mid] < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
    if (other.size * 8 < this.size) return this.updateFew(other);
    const a = this.shape.names;
    const b = other.shape.names;
    const capacity = a.length + b.length;
    const names: string[] = new Array(capacity);
    const values: Value[] = new Array(capacity);
    const positions: Pos[] = new Array(capacity);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < a.length && j < b.length) {
      const x = a[i];
      const y = b[j];
      if (x < y) {
        names[k] = x;
        values[k] = this.values[i];
        positions[k++] = this.posAt(i++);
      } else {
        if (x === y) i++;
        names[k] = y;
        values[k] = other.values[j];
        positions[k++] = other.posAt(j++);
      }
    }
    for (; i < a.length; i++, k++) {
      names[k] = a[i];
      values[k] = this.values[i];
      positions[k] = this.posAt(i);
    }
    for (; j < b.length; j++, k++) {
      names[k] = b[j];
      values[k] = other.values[j];
      positions[k] = other.posAt(j);
    }
    names.length = values.length = positions.length = k;
    const shape = k === a.length ? this.shape : new Shape(names);
    return new NixAttrs(shape, values, this.positions === null && other.positions === null ? null : positions);
  }

  /**
   * `big // small`: the common case in nixpkgs. Finds small's names by binary search; when
   * small only replaces attributes, the shape stays the same.
   */
  private updateFew(other: NixAttrs): NixAttrs {
    const a = this.shape.names;
    const b = other.shape.names;
    const at = b.map((name) => lowerBound(a, name));
    const withPositions = this.positions !== null || other.positions !== null;
    let added = 0;
    for (let j = 0; j < b.length; j++) if (a[at[j]] !== b[j]) added++;
    if (added === 0) {
      const values = this.values.slice();
      const positions = this.positions !== null ? this.positions.slice() : withPositions ? new Array<Pos>(a.length).fill(0) : null;
      for (let j = 0; j < b.length; j++) {
        values[at[j]] = other.values[j];
        if (positions !== null) positions[at[j]] = other.posAt(j);
      }
      return new NixAttrs(this.shape, values, positions);
    }
    // Native slices and concat copy the long runs of `this` in bulk.
    const ownPositions = this.positions ?? new Array<Pos>(a.length).fill(0);
    const nameParts: (readonly string[])[] = [];
    const valueParts: (readonly Value[])[] = [];
    const positionParts: (readonly Pos[])[] = [];
    let from = 0;
    for (let j = 0; j < b.length; j++) {
      nameParts.push(a.slice(from, at[j]), [b[j]]);
      valueParts.push(this.values.slice(from, at[j]), [other.values[j]]);
      positionParts.push(ownPositions.slice(from, at[j]), [other.posAt(j)]);
      from = a[at[j]] === b[j] ? at[j] + 1 : at[j];
    }
    const names = a.slice(from, from).concat(...nameParts, a.slice(from));
    const values = this.values.slice(from, from).concat(...valueParts, this.values.slice(from));
    const positions = ownPositions.slice(from, from).concat(...positionParts, ownPositions.slice(from));
    return new NixAttrs(new Shape(names), values, withPositions ? positions : null);
  }
}
