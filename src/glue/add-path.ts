// builtins.path and builtins.filterSource, as Nix 2.8's addPath: a local file or tree added
// to the store under a name, recursively (NAR) or flat, through a filter function that is
// asked about every entry, and checked against an expected sha256 when one is given.
import { builtin, type Builtin } from "../eval/builtins/registry.ts";
import { EvalError, NixTypeError } from "../eval/errors.ts";
import { call2 } from "../eval/runtime/call.ts";
import { forceAttrs, forceBool, forceStringNoContext } from "../eval/runtime/force.ts";
import type { EvalState } from "../eval/state.ts";
import { ContextString, type StringContext } from "../eval/value/string.ts";
import { force } from "../eval/value/thunk.ts";
import { isFunction, showType, type Value } from "../eval/value/value.ts";
import type { Hash } from "../nix-compat/hash.ts";
import { type FileIngestionMethod, makeFixedOutputPath } from "../nix-compat/store-path.ts";
import { baseNameOf } from "../nix-compat/path-names.ts";
import { parseHashAllowEmpty } from "./hash-argument.ts";
import { nixCompat } from "./nix-compat-errors.ts";
import { coercePathArgument } from "./path-argument.ts";
import type { GlueServices } from "./services.ts";

interface AddPathRequest {
  name: string;
  path: string;
  context: StringContext;
  filter?: Value;
  method: FileIngestionMethod;
  expectedHash?: Hash;
}

function addPath(state: EvalState, services: GlueServices, request: AddPathRequest): ContextString {
  const { store } = services;
  try {
    const path = store.realPath(request.path, request.context);
    const filterFn = request.filter;
    const filter =
      filterFn === undefined
        ? undefined
        : (entry: string): boolean => forceBool(call2(filterFn, entry, state.io.fileType(entry) as string));
    if (request.expectedHash !== undefined) {
      const expected = nixCompat(() => makeFixedOutputPath(request.name, request.method, request.expectedHash as Hash, { storeDir: store.storeDir }));
      const expectedPath = expected.toAbsolute(store.storeDir);
      // Nix trusts a valid store path with the expected hash without reading the source again.
      if (store.isOnDisk(expectedPath)) return new ContextString(expectedPath, new Set([expectedPath]));
      const { storePath } = store.addLocal(request.name, path, request.method, filter);
      if (storePath !== expectedPath) throw new EvalError(`store path mismatch in (possibly filtered) path added from '${path}'`);
      return new ContextString(storePath, new Set([storePath]));
    }
    const { storePath } = store.addLocal(request.name, path, request.method, filter);
    return new ContextString(storePath, new Set([storePath]));
  } catch (err) {
    if (err instanceof EvalError) err.addTrace(0, `while adding path '${request.path}'`);
    throw err;
  }
}

export function addPathBuiltins(services: GlueServices): Builtin[] {
  return [
    builtin("__path", 1, (state, arg) => {
      const attrs = forceAttrs(arg);
      const request: AddPathRequest = { name: "", path: "", context: new Set(), method: "recursive" };
      attrs.names.forEach((key, i) => {
        const value = attrs.values[i];
        const pos = attrs.posAt(i);
        try {
          if (key === "path") Object.assign(request, coercePathArgument(state, value));
          else if (key === "name") request.name = forceStringNoContext(value);
          else if (key === "filter") request.filter = force(value);
          else if (key === "recursive") request.method = forceBool(value) ? "recursive" : "flat";
          else if (key === "sha256") request.expectedHash = parseHashAllowEmpty(services, forceStringNoContext(value), "sha256");
          else throw new EvalError(`unsupported argument '${key}' to 'addPath'`);
        } catch (err) {
          if (err instanceof EvalError) err.atPos(pos);
          throw err;
        }
      });
      if (request.path === "") throw new EvalError("'path' required");
      if (request.name === "") request.name = baseNameOf(request.path);
      return addPath(state, services, request);
    }),
    builtin("__filterSource", 2, (state, filter, pathArg) => {
      const { path, context } = coercePathArgument(state, pathArg);
      const fn = force(filter);
      if (!isFunction(fn)) throw new NixTypeError(`first argument in call to 'filterSource' is not a function but ${showType(fn)}`);
      return addPath(state, services, { name: baseNameOf(path), path, context, filter: fn, method: "recursive" });
    }),
  ];
}
