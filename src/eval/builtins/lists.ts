// List builtins. Results that Nix computes lazily (map, genList) hold lazy applications.
import { EvalError } from "../errors.ts";
import { call, call2, lazyCall } from "../runtime/call.ts";
import { cellsEqual } from "../runtime/equality.ts";
import { lessThan } from "../runtime/compare.ts";
import { forceAttrs, forceBool, forceFunction, forceInt, forceList, forceStringNoContext } from "../runtime/force.ts";
import { NixAttrs } from "../value/attrs.ts";
import { requireAttr } from "./attrs.ts";
import { PrimOp } from "../value/function.ts";
import type { NixInt } from "../value/int.ts";
import { force } from "../value/thunk.ts";
import type { ForcedValue, NixList, Value } from "../value/value.ts";
import { builtin, type Builtin } from "./registry.ts";

/** Nix 2.8 passes the index as a C `int`, so it is taken modulo 2^32 first. */
function elemAt(list: NixList, index: NixInt): ForcedValue {
  const n = typeof index === "number" ? index | 0 : Number(BigInt.asIntN(32, index));
  if (n < 0 || n >= list.length) throw new EvalError(`list index ${n} is out of bounds`);
  return force(list[n]);
}

/** Concatenation that reuses the only non-empty list, as Nix's concatLists does. */
export function concatLists(lists: readonly Value[]): NixList {
  let nonEmpty: NixList | undefined;
  let total = 0;
  const forced = lists.map((l) => {
    const list = forceList(l);
    if (list.length > 0) nonEmpty = list;
    total += list.length;
    return list;
  });
  if (nonEmpty !== undefined && nonEmpty.length === total) return nonEmpty;
  return forced.flat();
}

export const listBuiltins: Builtin[] = [
  builtin("__length", 1, (_state, list) => forceList(list).length),
  builtin("__head", 1, (_state, list) => elemAt(forceList(list), 0)),
  builtin("__tail", 1, (_state, list) => {
    const l = forceList(list);
    if (l.length === 0) throw new EvalError("'tail' called on an empty list");
    return l.slice(1);
  }),
  builtin("__elemAt", 2, (_state, list, index) => elemAt(forceList(list), forceInt(index))),
  builtin("map", 2, (_state, fn, list) => forceList(list).map((elem) => lazyCall(fn, elem))),
  builtin("__filter", 2, (_state, fn, list) => {
    forceFunction(fn);
    const l = forceList(list);
    const kept = l.filter((elem) => forceBool(call(fn, elem)));
    return kept.length === l.length ? l : kept;
  }),
  builtin("__foldl'", 3, (_state, fn, initial, list) => {
    forceFunction(fn);
    let acc: Value = initial;
    for (const elem of forceList(list)) acc = call2(fn, acc, elem);
    return force(acc);
  }),
  builtin("__genList", 2, (_state, fn, length) => {
    const n = forceInt(length);
    if (n < 0) throw new EvalError(`cannot create list of size ${n}`);
    const list: Value[] = [];
    for (let i = 0; i < n; i++) list.push(lazyCall(fn, i));
    return list;
  }),
  builtin("__elem", 2, (_state, x, list) => forceList(list).some((elem) => cellsEqual(x, elem))),
  builtin("__concatLists", 1, (_state, lists) => concatLists(forceList(lists))),
  builtin("__concatMap", 2, (_state, fn, list) => {
    forceFunction(fn);
    return forceList(list).flatMap((elem) => forceList(call(fn, elem)));
  }),
  builtin("__any", 2, (_state, fn, list) => {
    forceFunction(fn);
    return forceList(list).some((elem) => forceBool(call(fn, elem)));
  }),
  builtin("__all", 2, (_state, fn, list) => {
    forceFunction(fn);
    return forceList(list).every((elem) => forceBool(call(fn, elem)));
  }),
  builtin("__partition", 2, (_state, fn, list) => {
    forceFunction(fn);
    const right: Value[] = [];
    const wrong: Value[] = [];
    for (const elem of forceList(list)) {
      force(elem);
      (forceBool(call(fn, elem)) ? right : wrong).push(elem);
    }
    return NixAttrs.of({ right, wrong });
  }),
  builtin("__groupBy", 2, (_state, fn, list) => {
    forceFunction(fn);
    const groups = new Map<string, Value[]>();
    for (const elem of forceList(list)) {
      const name = forceStringNoContext(call(fn, elem));
      const group = groups.get(name);
      if (group) group.push(elem);
      else groups.set(name, [elem]);
    }
    return NixAttrs.fromEntries([...groups.keys()], [...groups.values()]);
  }),
  builtin("__genericClosure", 1, (_state, args) => {
    const attrs = forceAttrs(args);
    const work: Value[] = forceList(attrs.values[requireAttr(attrs, "startSet", "genericClosure")]).slice();
    const operator = attrs.values[requireAttr(attrs, "operator", "genericClosure")];
    force(operator);
    const result: Value[] = [];
    // The keys seen so far, sorted by Nix's `<` (so incomparable keys fail as in Nix).
    const done: ForcedValue[] = [];
    for (let next = 0; next < work.length; next++) {
      const elem = work[next];
      const key = forceAttrs(elem).get("key");
      if (key === undefined) throw new EvalError("attribute 'key' required");
      const k = force(key);
      // Comparing as std::set does: the new key on the left first.
      let lo = 0;
      let hi = done.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (lessThan(k, done[mid])) hi = mid;
        else lo = mid + 1;
      }
      if (lo > 0 && !lessThan(done[lo - 1], k)) continue;
      done.splice(lo, 0, k);
      result.push(elem);
      for (const produced of forceList(call(operator, elem))) {
        force(produced);
        work.push(produced);
      }
    }
    return result;
  }),
  builtin("__sort", 2, (_state, fn, list) => {
    const comparator = forceFunction(fn);
    const sorted = forceList(list).slice();
    for (const elem of sorted) force(elem);
    // Nix skips calling the comparator when it is builtins.lessThan.
    const less =
      comparator instanceof PrimOp && comparator.name === "lessThan"
        ? (a: Value, b: Value) => lessThan(force(a), force(b))
        : (a: Value, b: Value) => forceBool(call2(comparator, a, b));
    // A stable sort, as Nix's std::stable_sort.
    return sorted.sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
  }),
];
