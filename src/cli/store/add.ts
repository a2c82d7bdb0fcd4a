// `tvix store add`: files and trees into the store, at the paths Nix gives them
// (`nix-store --add`, `nix-store --add-fixed [--recursive] ALGO`); --dry-run only computes them.
import { basename, resolve } from "node:path";
import { utf8ToBytes } from "../../nix-compat/byte-string.ts";
import { hashFile, parseHashAlgo } from "../../nix-compat/hash.ts";
import { narHash } from "../../nix-compat/nar/writer.ts";
import { makeFixedOutputPath } from "../../nix-compat/store-path.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { createProgress } from "../progress.ts";
import { STORE_OPTION, STORE_OPTION_HELP, storeDir } from "../store-options.ts";
import { withStore } from "./store-command.ts";

const ADD_HELP = `Usage: tvix store add [--flat] [--hash-algo ALGO] [--name NAME] [--dry-run] PATH…

Adds each PATH (a file, symlink or directory tree) to the store and prints its store path,
exactly the path Nix gives it:
  default      content-addressed by the sha256 of its NAR ('nix-store --add')
  --flat       by the contents of the regular file PATH ('nix-store --add-fixed ALGO')
  --hash-algo  md5, sha1, sha256 (default) or sha512 ('nix-store --add-fixed [--recursive] ALGO')
  --name NAME  the store path name (default: the base name of PATH)
  --dry-run    only print the store paths; the store is not opened
${STORE_OPTION_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { ...STORE_OPTION, "dry-run": { type: "boolean" }, name: { type: "string" }, flat: { type: "boolean" }, "hash-algo": { type: "string", default: "sha256" } },
    ADD_HELP,
  );
  if (!args) return 0;
  const paths = args.positionals;
  if (paths.length === 0) throw new UsageError(`'tvix store add' needs at least one PATH\n${ADD_HELP.split("\n")[0]}`);
  if (args.values.name !== undefined && paths.length > 1) throw new UsageError("--name applies to a single PATH");
  const algo = parseHashAlgo(args.values["hash-algo"] ?? "sha256");
  const method = args.values.flat ? "flat" : "recursive";
  const name = args.values.name === undefined ? undefined : utf8ToBytes(args.values.name);
  const dir = storeDir();
  if (args.values["dry-run"]) {
    for (const path of paths) {
      const hash = method === "flat" ? hashFile(algo, path) : narHash(path, algo).hash;
      process.stdout.write(`${makeFixedOutputPath(name ?? utf8ToBytes(basename(resolve(path))), method, hash, { storeDir: dir }).toAbsolute(dir)}\n`);
    }
    return 0;
  }
  const { addLocalPath } = await import("../../store/add-path.ts");
  await withStore(args.values, async (store) => {
    const progress = createProgress("adding");
    try {
      for (const [i, path] of paths.entries()) {
        progress.update(i, paths.length, path);
        const info = await addLocalPath(store, path, { name, method, algo, storeDir: dir });
        progress.clear();
        process.stdout.write(`${info.storePath.toAbsolute(dir)}\n`);
      }
    } finally {
      progress.done();
    }
  });
  return 0;
}
