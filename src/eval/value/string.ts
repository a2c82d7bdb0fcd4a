// Nix strings are byte strings. They are JS "binary" strings: every char code is one byte
// (0–255), so lengths, substrings, comparisons (byte order) and regexes behave as Nix's
// (conversions at the edges: nix-compat/byte-string.ts).
//
// A string usually has no context and is then a bare JS string (cheap). A string that refers
// to store paths carries its context and is a ContextString. Context entries use Nix 2.8's
// encoding: "/nix/store/…" (a plain store path), "=/nix/store/….drv" (a derivation with all
// its outputs), "!out!/nix/store/….drv" (one output of a derivation).

/** An immutable set of context entries; never mutate one you did not just create. */
export type StringContext = ReadonlySet<string>;

export const EMPTY_CONTEXT: StringContext = new Set<string>();

export class ContextString {
  readonly s: string;
  readonly context: StringContext;

  constructor(s: string, context: StringContext) {
    this.s = s;
    this.context = context;
  }
}

export type NixString = string | ContextString;

/** A string value: a bare string when the context is empty. */
export function makeString(s: string, context: StringContext): NixString {
  return context.size === 0 ? s : new ContextString(s, context);
}

export function stringText(v: NixString): string {
  return typeof v === "string" ? v : v.s;
}

export function stringContext(v: NixString): StringContext {
  return typeof v === "string" ? EMPTY_CONTEXT : v.context;
}

/** The union of two contexts, reusing one of them when possible. */
export function unionContext(a: StringContext, b: StringContext): StringContext {
  if (b.size === 0) return a;
  if (a.size === 0) return b;
  return new Set([...a, ...b]);
}
