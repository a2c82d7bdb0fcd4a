// The Nix search path (`<nixpkgs>`): `-I` entries, then those of $NIX_PATH.
import type { SearchPathEntry } from "./state.ts";

/** One `-I` value or NIX_PATH element: `prefix=path` or `path`. */
export function parseSearchPathEntry(s: string): SearchPathEntry {
  const eq = s.indexOf("=");
  return eq < 0 ? { prefix: "", path: s } : { prefix: s.slice(0, eq), path: s.slice(eq + 1) };
}

/** Nix's isUri: `channel:…` or one of a few `scheme://…`. */
function isUri(s: string): boolean {
  return s.startsWith("channel:") || /^(http|https|file|channel|git|s3|ssh):\/\//.test(s);
}

/** Splits $NIX_PATH at colons, except inside URIs ("nixpkgs=https://…"), as Nix's parseNixPath. */
export function splitNixPath(s: string): string[] {
  const out: string[] = [];
  let p = 0;
  while (p < s.length) {
    const start = p;
    let start2 = p;
    while (p < s.length && s[p] !== ":") {
      if (s[p] === "=") start2 = p + 1;
      p++;
    }
    if (p === s.length) {
      if (p !== start) out.push(s.slice(start, p));
      break;
    }
    if (isUri(s.slice(start2))) {
      p++;
      while (p < s.length && s[p] !== ":") p++;
    }
    out.push(s.slice(start, p));
    if (p === s.length) break;
    p++;
  }
  return out;
}
