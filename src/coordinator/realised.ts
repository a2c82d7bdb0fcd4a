// Built outputs as real directories on local disk, for `./result` links to point at. Our store
// is not a Nix store on disk (its contents live in castore), so an output is rendered once into
// a directory of realised paths, `DIR/<hash>-<name>`, and stays there: a store path's contents
// never change, so a rendering made once serves every later link, and renderNode is atomic (a
// rendering is complete or absent), so a crash or a concurrent `tvix build` never leaves a half
// one. The directory is the local store's own `realised/` (same disk, removed with the store),
// or for other stores a cache directory (see realisedDir in ../cli/build-session.ts).
import { chmod, lstat, mkdir, readdir, rename, rm, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { renderNode } from "../castore/fs/render.ts";
import { CastoreError } from "../castore/errors.ts";
import { parseStorePath } from "../nix-compat/store-path.ts";
import type { Store } from "../store/composition.ts";

/** Where `storePath`'s contents are on local disk under `dir`, rendered from the store unless already there. */
export async function realiseOnDisk(store: Store, storePath: string, storeDir: string, dir: string): Promise<string> {
  const path = parseStorePath(storePath, storeDir);
  const target = join(dir, path.baseName);
  if (await exists(target)) return target;
  const info = await store.pathInfos.get(path.digest);
  if (info === undefined) throw new CastoreError("not-found", `path '${storePath}' is not in the store`);
  await mkdir(dir, { recursive: true });
  // Rendered beside the target and made read-only there, so that it appears complete and
  // read-only (as in a Nix store: a link's user cannot change what other links show).
  const temporary = join(dir, `.${path.baseName}.${process.pid}.${Date.now()}.tmp`);
  try {
    await renderNode(info.node, store.blobs, store.directories, temporary);
    await makeReadOnly(temporary);
    await rename(temporary, target);
  } catch (err) {
    // Another process rendered it meanwhile: the same contents, complete.
    if (!(await exists(target))) throw err;
  } finally {
    await removeTree(temporary);
  }
  return target;
}

/** Nix's canonical modes: 0444 files, 0555 executables and directories; symlinks as they are. */
async function makeReadOnly(root: string): Promise<void> {
  const pending = [root];
  for (let path; (path = pending.pop()) !== undefined; ) {
    const stats = await lstat(path);
    if (stats.isSymbolicLink()) continue;
    if (stats.isDirectory()) for (const name of await readdir(path)) pending.push(join(path, name));
    await chmod(path, stats.isDirectory() || stats.mode & 0o100 ? 0o555 : 0o444);
  }
}

/** Removes a tree that may be read-only (a rendering left by a failure or a lost race). */
async function removeTree(path: string): Promise<void> {
  if (!(await exists(path))) return;
  const pending = [path];
  for (let next; (next = pending.pop()) !== undefined; ) {
    const stats = await lstat(next);
    if (!stats.isDirectory()) continue;
    await chmod(next, 0o755);
    for (const name of await readdir(next)) pending.push(join(next, name));
  }
  await rm(path, { recursive: true, force: true });
}

/** Points `link` at `target`, replacing a link (or file) there in one step, as Nix's addPermRoot does. */
export async function replaceSymlink(target: string, link: string): Promise<void> {
  const temporary = join(dirname(link), `.${process.pid}.${Date.now()}.tmp-link`);
  await symlink(target, temporary);
  try {
    await rename(temporary, link);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
