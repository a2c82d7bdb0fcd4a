// Where fetched content is kept until a store can take it: Nix keeps its fetcher cache in
// $XDG_CACHE_HOME/nix (~/.cache/nix); ours is $XDG_CACHE_HOME/tvix.
import { homedir } from "node:os";

export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return `${xdg !== undefined && xdg !== "" ? xdg : `${homedir()}/.cache`}/tvix`;
}
