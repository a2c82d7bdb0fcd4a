// The pinned nixpkgs trees of ../../../shared/nixpkgs, unpacked on first use into a cache
// directory under the system temp dir (reused by later runs and other tests).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ARCHIVES = fileURLToPath(new URL("../../../shared/nixpkgs/", import.meta.url));

/** The directory holding the unpacked tree `name` (e.g. "nixpkgs-0aeba64f"). Needs `zstd` and `tar`. */
export function unpackedNixpkgs(name: string): string {
  const cache = join(tmpdir(), "tvix-ts-nixpkgs");
  const tree = join(cache, name);
  const done = join(cache, `${name}.unpacked`);
  if (existsSync(done)) return tree;
  mkdirSync(cache, { recursive: true });
  // Unpack beside the final place and rename, so an interrupted run leaves no half tree behind.
  const partial = join(cache, `${name}.partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial);
  execFileSync("sh", ["-c", 'zstd -dc "$1" | tar -x -C "$2"', "unpack", join(ARCHIVES, `${name}.tar.zst`), partial]);
  rmSync(tree, { recursive: true, force: true });
  renameSync(join(partial, name), tree);
  rmSync(partial, { recursive: true, force: true });
  writeFileSync(done, "");
  return tree;
}

/** Every regular `.nix` file below `dir` (symlinks not followed), sorted. */
export function nixFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith(".nix")) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}
