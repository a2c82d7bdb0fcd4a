// `<` (builtins.lessThan, and the comparator of `sort` by default) as Nix 2.8's
// CompareValues: numbers (int and float mixed), strings (byte order, context ignored),
// paths, and lists lexicographically. Anything else cannot be compared.
import { EvalError } from "../errors.ts";
import { NixFloat } from "../value/float.ts";
import { NixPath } from "../value/path.ts";
import { ContextString } from "../value/string.ts";
import { force } from "../value/thunk.ts";
import { type ForcedValue, showType } from "../value/value.ts";
import { cellsEqual } from "./equality.ts";

function numeric(v: ForcedValue): number | bigint | undefined {
  if (typeof v === "number" || typeof v === "bigint") return v;
  if (v instanceof NixFloat) return v.value;
  return undefined;
}

export function lessThan(a: ForcedValue, b: ForcedValue): boolean {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) {
    // With a float involved the int is converted to a double, as in C++; JS compares a number
    // with a bigint exactly, which is right for two ints.
    if (a instanceof NixFloat || b instanceof NixFloat) return Number(na) < Number(nb);
    return na < nb;
  }
  if ((typeof a === "string" || a instanceof ContextString) && (typeof b === "string" || b instanceof ContextString)) {
    return (typeof a === "string" ? a : a.s) < (typeof b === "string" ? b : b.s);
  }
  if (a instanceof NixPath && b instanceof NixPath) return a.path < b.path;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; ; i++) {
      if (i === b.length) return false;
      if (i === a.length) return true;
      if (!cellsEqual(a[i], b[i])) return lessThan(force(a[i]), force(b[i]));
    }
  }
  throw new EvalError(`cannot compare ${showType(a)} with ${showType(b)}`);
}
