// The store a command works on: `--store URL`, else $TVIX_STORE, else the embedded local store
// under the XDG data directory; or a composition file setting the three services apart.
// Also Nix's store directory ($NIX_STORE_DIR, default /nix/store).
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { DEFAULT_STORE_DIR } from "../nix-compat/store-path.ts";
import { type Store, openStore } from "../store/composition.ts";
import { UsageError } from "./errors.ts";

export const STORE_OPTION = { store: { type: "string" }, "store-composition": { type: "string" } } as const;

export const STORE_OPTION_HELP = `  --store URL           the store (default: $TVIX_STORE, else the local store in
                        $XDG_DATA_HOME/tvix-ts/store): memory://, local:///DIR,
                        objectstore+s3://BUCKET/PREFIX?endpoint=…, grpc+unix:///SOCKET,
                        grpc+http://HOST:PORT, nix+http(s)://CACHE, file:///CACHE,
                        cache://?near=URL&far=URL (see docs/store.md)
  --store-composition FILE
                        the store's services set apart in a TOML file (docs/store.md);
                        also $TVIX_STORE_COMPOSITION`;

export function defaultStoreUrl(): string {
  if (process.env.TVIX_STORE) return process.env.TVIX_STORE;
  // The XDG spec: a relative $XDG_DATA_HOME is invalid and to be ignored.
  const xdgDataHome = process.env.XDG_DATA_HOME;
  const dataHome = xdgDataHome && isAbsolute(xdgDataHome) ? xdgDataHome : join(homedir(), ".local", "share");
  return `local://${join(dataHome, "tvix-ts", "store")}`;
}

export function storeDir(): string {
  return process.env.NIX_STORE_DIR ?? DEFAULT_STORE_DIR;
}

export async function openStoreFromArgs(values: { store?: string; "store-composition"?: string }): Promise<Store> {
  const composition = values["store-composition"] ?? (values.store === undefined ? process.env.TVIX_STORE_COMPOSITION : undefined);
  if (composition !== undefined && values.store !== undefined) throw new UsageError("give --store or --store-composition, not both");
  if (composition) return (await import("../store/composition-file.ts")).openComposition(composition, { storeDir: storeDir() });
  return openStore(values.store ?? defaultStoreUrl(), { storeDir: storeDir() });
}
