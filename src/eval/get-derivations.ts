// What nix-instantiate (without --eval) does with a value: find the derivations in it, as Nix
// 2.8's getDerivations (get-drvs.cc) does — the value itself if it is one; else, in a set, each
// attribute with a plain name in byte order, descending into sets that say
// `recurseForDerivations = true`; in a list, each element. Functions are auto-called on the way.
// A derivation met twice (the same set) counts once.
import { parseStorePath } from "../nix-compat/store-path.ts";
import { autoCallFunction } from "./auto-call.ts";
import { EvalError, NixTypeError } from "./errors.ts";
import { coerceToString } from "./runtime/coerce.ts";
import { isDerivation } from "./runtime/equality.ts";
import { forceBool, forceStringNoContext } from "./runtime/force.ts";
import type { EvalState } from "./state.ts";
import { NixAttrs } from "./value/attrs.ts";
import { stringText } from "./value/string.ts";
import { force } from "./value/thunk.ts";
import type { Value } from "./value/value.ts";

/** Attribute names getDerivations looks into (Nix's attrRegex). */
const ATTR_NAME = /^[A-Za-z_][A-Za-z0-9\-_+]*$/;

/** A derivation found, with what nix-instantiate prints of it. */
export interface FoundDerivation {
  attrs: NixAttrs;
  /** Where it was found (`a.b.0`), "" for the value itself. */
  attrPath: string;
}

export function getDerivations(autoArgs: NixAttrs, root: Value): FoundDerivation[] {
  const found: FoundDerivation[] = [];
  const done = new Set<NixAttrs>();

  /** Adds `v` if it is a derivation; true if it is not one (and may hold some). */
  const visit = (v: Value, attrPath: string): boolean => {
    const f = force(v);
    if (!isDerivation(f)) return true;
    const attrs = f as NixAttrs;
    if (done.has(attrs)) return false;
    done.add(attrs);
    const name = attrs.get("name");
    if (name === undefined) throw new NixTypeError("derivation name missing");
    forceStringNoContext(name);
    found.push({ attrs, attrPath });
    return false;
  };

  const search = (input: Value, prefix: string): void => {
    const v = autoCallFunction(autoArgs, input);
    if (!visit(v, prefix)) return;
    const at = (name: string): string => (prefix === "" ? name : `${prefix}.${name}`);
    if (v instanceof NixAttrs) {
      const combineChannels = v.has("_combineChannels");
      for (const name of v.names) {
        if (!ATTR_NAME.test(name)) continue;
        const child = v.get(name)!;
        if (combineChannels) search(child, at(name));
        else if (visit(child, at(name))) {
          const forced = force(child);
          const recurse = forced instanceof NixAttrs ? forced.get("recurseForDerivations") : undefined;
          if (recurse !== undefined && forceBool(recurse)) search(child, at(name));
        }
      }
    } else if (Array.isArray(v)) {
      v.forEach((elem: Value, n: number) => {
        if (visit(elem, at(String(n)))) search(elem, at(String(n)));
      });
    } else {
      throw new NixTypeError("expression does not evaluate to a derivation (or a set or list of those)");
    }
  };

  search(root, "");
  return found;
}

/** The derivation's `drvPath` as a store path (Nix's requireDrvPath: coerceToStorePath). */
export function requireDrvPath(state: EvalState, drv: FoundDerivation): string {
  const drvPath = drv.attrs.get("drvPath");
  if (drvPath === undefined) throw new EvalError("derivation does not contain a 'drvPath' attribute");
  const path = stringText(coerceToString(state, drvPath, { coerceMore: false, copyToStore: false }));
  if (!path.startsWith("/")) throw new EvalError(`string '${path}' doesn't represent an absolute path`);
  try {
    parseStorePath(path, state.io.storeDir);
  } catch {
    throw new EvalError(`path '${path}' is not in the Nix store`);
  }
  return path;
}

/** The `outputName` attribute, "" if absent. */
export function queryOutputName(drv: FoundDerivation): string {
  const outputName = drv.attrs.get("outputName");
  return outputName === undefined ? "" : forceStringNoContext(outputName);
}
