// Reading files: pathExists, readFile, readDir, hashFile, and toPath (a path-like string).
import { hashBytes, isHashAlgo } from "../../nix-compat/hash.ts";
import { EvalError } from "../errors.ts";
import { forceStringNoContext } from "../runtime/force.ts";
import { canonPath } from "../syntax/paths.ts";
import { NixAttrs } from "../value/attrs.ts";
import { makeString, stringContext, stringText } from "../value/string.ts";
import { coerceToPath, coerceToPathString } from "./import.ts";
import { builtin, type Builtin } from "./registry.ts";

export const fileBuiltins: Builtin[] = [
  builtin("__pathExists", 1, (state, path) => state.io.pathExists(coerceToPath(state, path))),
  builtin("__readFile", 1, (state, path) => {
    const file = coerceToPath(state, path);
    const text = state.io.readFile(file);
    if (text.includes("\0")) throw new EvalError(`the contents of the file '${file}' cannot be represented as a Nix string`);
    return text;
  }),
  builtin("__readDir", 1, (state, path) => {
    const dir = coerceToPath(state, path);
    const entries = state.io.readDir(dir);
    return NixAttrs.fromEntries([...entries.keys()], [...entries.values()]);
  }),
  builtin("__hashFile", 2, (state, type, path) => {
    const algo = forceStringNoContext(type);
    if (!isHashAlgo(algo)) throw new EvalError(`unknown hash type '${algo}'`);
    return hashBytes(algo, state.io.readFile(coerceToPath(state, path))).encode("base16");
  }),
  builtin("__toPath", 1, (state, path) => {
    const s = coerceToPathString(state, path);
    return makeString(canonPath(stringText(s)), stringContext(s));
  }),
];
