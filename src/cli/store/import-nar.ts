// `tvix store import-nar`: a store path from a NAR file or standard input.
import { createReadStream } from "node:fs";
import { utf8ToBytes } from "../../nix-compat/byte-string.ts";
import { parseStorePath } from "../../nix-compat/store-path.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { STORE_OPTION, STORE_OPTION_HELP, storeDir } from "../store-options.ts";
import { withStore } from "./store-command.ts";

const IMPORT_NAR_HELP = `Usage: tvix store import-nar (--name NAME | --store-path PATH [--deriver DRV]) [--reference P]… [FILE|-]

Adds the contents of the NAR in FILE (default '-', standard input) to the store and prints
the store path:
  --name NAME        content-addressed: the path 'nix-store --add' gives the unpacked tree
  --store-path PATH  input-addressed: at PATH as given
  --reference P      a store path it refers to (repeatable; must be in the store already)
  --deriver DRV      the derivation that built it (with --store-path)
A malformed or truncated NAR is refused and adds nothing.
${STORE_OPTION_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { ...STORE_OPTION, name: { type: "string" }, "store-path": { type: "string" }, reference: { type: "string", multiple: true }, deriver: { type: "string" } },
    IMPORT_NAR_HELP,
  );
  if (!args) return 0;
  const usage = IMPORT_NAR_HELP.split("\n")[0];
  const { name, deriver } = args.values;
  const storePathArg = args.values["store-path"];
  if ((name === undefined) === (storePathArg === undefined)) throw new UsageError(`give either --name or --store-path\n${usage}`);
  if (deriver !== undefined && storePathArg === undefined) throw new UsageError("--deriver needs --store-path: a content-addressed path has no deriver");
  if (args.positionals.length > 1) throw new UsageError(`expected at most one FILE\n${usage}`);
  const dir = storeDir();
  const references = (args.values.reference ?? []).map((path) => parseStorePath(path, dir));
  const target =
    storePathArg === undefined
      ? { name: utf8ToBytes(name!), references }
      : { storePath: parseStorePath(storePathArg, dir), references, deriver: deriver === undefined ? undefined : parseStorePath(deriver, dir) };
  const file = args.positionals[0] ?? "-";
  const { importNar } = await import("../../store/import-nar.ts");
  await withStore(args.values, async (store) => {
    const source = file === "-" ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
    const info = await importNar(store, source, target, dir);
    process.stdout.write(`${info.storePath.toAbsolute(dir)}\n`);
  });
  return 0;
}
