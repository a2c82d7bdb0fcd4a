// The store a command works on: `--store URL`, else $TVIX_STORE, else the embedded local store
// under the XDG data directory. Also Nix's store directory ($NIX_STORE_DIR, default /nix/store).
import { homedir } from "node:os";
import { join } from "node:path";
import { DEFAULT_STORE_DIR } from "../nix-compat/store-path.ts";
import { type Store, openStore } from "../store/composition.ts";

export const STORE_OPTION = { store: { type: "string" } } as const;

export const STORE_OPTION_HELP = `  --store URL  the store (default: $TVIX_STORE, else the local store in
               $XDG_DATA_HOME/tvix-ts/store); memory://, local:///DIR,
               objectstore+s3://BUCKET/PREFIX?endpoint=…, grpc+unix:///SOCKET,
               grpc+http://HOST:PORT, nix+http(s)://CACHE, file:///CACHE,
               cache://?near=URL&far=URL`;

export function defaultStoreUrl(): string {
  if (process.env.TVIX_STORE) return process.env.TVIX_STORE;
  const dataHome = process.env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return `local://${join(dataHome, "tvix-ts", "store")}`;
}

export function storeDir(): string {
  return process.env.NIX_STORE_DIR ?? DEFAULT_STORE_DIR;
}

export function openStoreFromArgs(values: { store?: string }): Promise<Store> {
  return openStore(values.store ?? defaultStoreUrl(), { storeDir: storeDir() });
}
