// What a dirty working tree (git or Mercurial) contributes: only the files the version
// control system tracks, and the directories on the way to them, as Nix's PathFilter for
// unclean trees has it.
import { lstatSync } from "node:fs";
import { encodeBytes } from "../../nix-compat/byte-string.ts";
import type { SourceFilter } from "../eval-store.ts";

/** A filter for the tree at `root` keeping the tracked `files` (paths relative to `root`, byte strings). */
export function trackedFilesFilter(root: string, files: readonly string[]): SourceFilter {
  const tracked = new Set(files.filter((f) => f !== ""));
  const dirs = new Set<string>();
  for (const file of tracked) for (let i = file.indexOf("/"); i >= 0; i = file.indexOf("/", i + 1)) dirs.add(file.slice(0, i));
  return (path) => {
    const file = path.slice(root.length + 1);
    return lstatSync(encodeBytes(path)).isDirectory() ? dirs.has(file) : tracked.has(file);
  };
}
