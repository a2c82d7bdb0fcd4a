// builtins.storePath: use a path that is already in the store as it is (a plain path would
// be copied again), with the store path as a dependency in its context.
import { realpathSync } from "node:fs";
import { builtin, type Builtin } from "../eval/builtins/registry.ts";
import { EvalError } from "../eval/errors.ts";
import { makeString } from "../eval/value/string.ts";
import { encodeBytes } from "../nix-compat/byte-string.ts";
import { parseStorePath, parseStorePathPrefix } from "../nix-compat/store-path.ts";
import { nixCompat } from "./nix-compat-errors.ts";
import { coercePathArgument } from "./path-argument.ts";
import type { GlueServices } from "./services.ts";

export function storePathBuiltin(services: GlueServices): Builtin {
  const storeDir = services.store.storeDir;
  return builtin("__storePath", 1, (state, arg) => {
    const { path: given, context } = coercePathArgument(state, arg);
    // Symlinks are resolved, except a store path that is itself a symlink.
    const path = isStorePath(given, storeDir) ? given : resolveSymlinks(given);
    if (!path.startsWith(`${storeDir}/`)) throw new EvalError(`path '${path}' is not in the Nix store`);
    const storePath = nixCompat(() => parseStorePathPrefix(path, storeDir).storePath.toAbsolute(storeDir));
    return makeString(path, new Set([...context, storePath]));
  });
}

function isStorePath(path: string, storeDir: string): boolean {
  try {
    parseStorePath(path, storeDir);
    return true;
  } catch {
    return false;
  }
}

function resolveSymlinks(path: string): string {
  try {
    return realpathSync(encodeBytes(path), { encoding: "buffer" }).toString("latin1");
  } catch {
    throw new EvalError(`getting status of '${path}': No such file or directory`);
  }
}
