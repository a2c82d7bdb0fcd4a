// `tvix store add`: for now only the store paths Nix would give to files and trees (--dry-run).
import { basename, resolve } from "node:path";
import { utf8ToBytes } from "../../nix-compat/byte-string.ts";
import { hashFile, parseHashAlgo } from "../../nix-compat/hash.ts";
import { narHash } from "../../nix-compat/nar/writer.ts";
import { DEFAULT_STORE_DIR, makeFixedOutputPath } from "../../nix-compat/store-path.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";

const ADD_HELP = `Usage: tvix store add --dry-run [--name NAME] [--flat] [--hash-algo ALGO] PATH…

Prints the store path that adding each PATH would give, exactly as Nix computes it:
  default      the NAR of PATH, sha256 ('nix store add-path', 'nix-store --add')
  --flat       the contents of the regular file PATH ('nix-store --add-fixed ALGO')
  --hash-algo  md5, sha1, sha256 (default) or sha512 ('nix-store --add-fixed [--recursive] ALGO')
  --name NAME  the store path name (default: the base name of PATH)
Only --dry-run exists so far: writing into a store arrives with the store component.`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { "dry-run": { type: "boolean" }, name: { type: "string" }, flat: { type: "boolean" }, "hash-algo": { type: "string", default: "sha256" } },
    ADD_HELP,
  );
  if (!args) return 0;
  if (!args.values["dry-run"]) throw new UsageError("'tvix store add' needs --dry-run: tvix-ts has no store to write into yet");
  if (args.values.name !== undefined && args.positionals.length > 1) throw new UsageError("--name applies to a single PATH");
  const algo = parseHashAlgo(args.values["hash-algo"] ?? "sha256");
  const method = args.values.flat ? "flat" : "recursive";
  const storeDir = process.env.NIX_STORE_DIR ?? DEFAULT_STORE_DIR;
  for (const path of args.positionals) {
    const hash = method === "flat" ? hashFile(algo, path) : narHash(path, algo).hash;
    const name = utf8ToBytes(args.values.name ?? basename(resolve(path)));
    process.stdout.write(`${makeFixedOutputPath(name, method, hash, { storeDir }).toAbsolute(storeDir)}\n`);
  }
  return 0;
}
