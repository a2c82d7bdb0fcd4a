// Unpacking a downloaded archive as fetchTarball does: every compression tar knows
// (gzip, bzip2, xz, zstd, lzip…; Nix uses libarchive, which also reads zip), and the archive
// must hold exactly one top-level entry, which is the tree that goes into the store.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { EvalError } from "../../eval/errors.ts";
import { utf8ToBytes } from "../../nix-compat/byte-string.ts";

/**
 * Unpacks `archive` into the new directory `dest` (both paths in JS's encoding); returns the
 * path of its single top-level entry as a byte string.
 */
export function unpackTarball(archive: string, dest: string, url: string): string {
  mkdirSync(dest);
  // GNU tar recognises the compression by itself when reading a file.
  const result = spawnSync("tar", ["-x", "--no-same-owner", "-f", archive, "-C", dest], { encoding: "latin1" });
  if (result.error) throw new EvalError(`cannot unpack '${url}': ${result.error.message}`);
  if (result.status !== 0) throw new EvalError(`failed to extract archive (${result.stderr.trim()})`);
  const members = readdirSync(dest, { encoding: "buffer" });
  if (members.length !== 1) throw new EvalError(`tarball '${url}' contains an unexpected number of top-level files`);
  return `${utf8ToBytes(dest)}/${members[0].toString("latin1")}`;
}
