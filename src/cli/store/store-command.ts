// What the `tvix store` subcommands share: running with the store the options name (closed
// afterwards, whatever happens), and finding the store path an argument names.
import { realpathSync } from "node:fs";
import { CastoreError } from "../../castore/errors.ts";
import { utf8ToBytes } from "../../nix-compat/byte-string.ts";
import { type StorePath, parseStorePathPrefix } from "../../nix-compat/store-path.ts";
import type { Store } from "../../store/composition.ts";
import type { PathInfo } from "../../store/path-info.ts";
import { openStoreFromArgs, storeDir } from "../store-options.ts";

export async function withStore<T>(values: { store?: string; "store-composition"?: string }, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStoreFromArgs(values);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/**
 * The store path an argument names, and the rest of it below the store path (`""` or
 * `/sub/path`, as a byte string). Like Nix, a path outside the store directory that resolves
 * into it (a `result` symlink) names what it points to.
 */
export function storePathArgument(argument: string): { storePath: StorePath; rest: string } {
  const dir = storeDir();
  const path = argument.startsWith(`${dir}/`) ? argument : resolvedIntoStore(argument, dir);
  return parseStorePathPrefix(utf8ToBytes(path), dir);
}

function resolvedIntoStore(argument: string, dir: string): string {
  try {
    const real = realpathSync(argument);
    if (real.startsWith(`${dir}/`)) return real;
  } catch {
    // Not on disk: it is simply not in the store.
  }
  return argument;
}

/** The PathInfo of `storePath`; if the store lacks it, an error in Nix's words. */
export async function requirePathInfo(store: Store, storePath: StorePath, message = "is not valid"): Promise<PathInfo> {
  const info = await store.pathInfos.get(storePath.digest);
  if (info === undefined) throw new CastoreError("not-found", `path '${storePath.toAbsolute(storeDir())}' ${message}`);
  return info;
}
