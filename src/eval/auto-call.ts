// What nix-instantiate does with the value of a file before printing it: select `-A`
// attribute paths (findAlongAttrPath) and call functions with the `--arg`/`--argstr` values
// (autoCallFunction).
import { EvalError, MissingArgumentError, NixTypeError } from "./errors.ts";
import { call } from "./runtime/call.ts";
import { NixAttrs } from "./value/attrs.ts";
import { Lambda } from "./value/function.ts";
import { force } from "./value/thunk.ts";
import { type ForcedValue, showType, type Value } from "./value/value.ts";

/** Calls a function whose arguments are all named (`{ a, b ? 1 }: …`) with the auto arguments. */
export function autoCallFunction(args: NixAttrs, fun: Value): ForcedValue {
  const f = force(fun);
  if (f instanceof NixAttrs) {
    const functor = f.get("__functor");
    return functor === undefined ? f : autoCallFunction(args, call(functor, f));
  }
  if (!(f instanceof Lambda) || f.def.formals === null) return f;
  if (f.def.ellipsis) return call(f, args);
  const names: string[] = [];
  const values: Value[] = [];
  // In source order, the closest to Nix's (see CompiledLambda.missingArgument).
  for (const formal of f.def.formals) {
    const given = args.get(formal.name);
    if (given !== undefined) {
      names.push(formal.name);
      values.push(given);
    } else if (!formal.hasDefault) {
      throw new MissingArgumentError(
        `cannot evaluate a function that has an argument without a value ('${formal.name}')\n\n` +
          "Nix attempted to evaluate a function as a top level expression; in\n" +
          "this case it must have its arguments supplied either by default\n" +
          "values, or passed explicitly with '--arg' or '--argstr'. See\n" +
          "https://nixos.org/manual/nix/stable/#ss-functions.",
        formal.pos,
      );
    }
  }
  return call(f, NixAttrs.fromEntries(names, values));
}

/** Splits `a.b."c.d".0` into names, as Nix's parseAttrPath. */
function parseAttrPath(path: string): string[] {
  const names: string[] = [];
  let current = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === ".") {
      names.push(current);
      current = "";
    } else if (c === '"') {
      const close = path.indexOf('"', i + 1);
      if (close < 0) throw new EvalError(`missing closing quote in selection path '${path}'`);
      current += path.slice(i + 1, close);
      i = close;
    } else {
      current += c;
    }
  }
  if (current !== "") names.push(current);
  return names;
}

/** `-A path`: selects attributes (and list elements, for numeric names), auto-calling functions on the way. */
export function findAlongAttrPath(attrPath: string, args: NixAttrs, root: Value): Value {
  let v: Value = root;
  for (const name of parseAttrPath(attrPath)) {
    const current = autoCallFunction(args, v);
    if (/^[0-9]+$/.test(name) && Number(name) <= 0xffffffff) {
      if (!Array.isArray(current)) throw new NixTypeError(`the expression selected by the selection path '${attrPath}' should be a list but is ${showType(current)}`);
      const index = Number(name);
      if (index >= current.length) throw new EvalError(`list index ${index} in selection path '${attrPath}' is out of range`);
      v = current[index];
    } else {
      if (!(current instanceof NixAttrs)) throw new NixTypeError(`the expression selected by the selection path '${attrPath}' should be a set but is ${showType(current)}`);
      if (name === "") throw new EvalError(`empty attribute name in selection path '${attrPath}'`);
      const attr = current.get(name);
      if (attr === undefined) throw new EvalError(`attribute '${name}' in selection path '${attrPath}' not found`);
      v = attr;
    }
  }
  return v;
}
