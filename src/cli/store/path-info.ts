// `tvix store path-info`: what the store knows of store paths (`nix path-info`).
import { computeClosure } from "../../store/closure.ts";
import type { Store } from "../../store/composition.ts";
import type { PathInfo } from "../../store/path-info.ts";
import { type PathInfoJsonEntry, formatPathInfosJson, nixPrintOrder } from "../../store/path-info-json.ts";
import type { StorePath } from "../../nix-compat/store-path.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { STORE_OPTION, STORE_OPTION_HELP, storeDir } from "../store-options.ts";
import { requirePathInfo, storePathArgument, withStore } from "./store-command.ts";

const PATH_INFO_HELP = `Usage: tvix store path-info [--json] [--recursive] [--size] [--closure-size] STOREPATH…

Prints each STOREPATH the store has, like 'nix path-info' (in its order: sorted, each path
after those it refers to):
  -r, --recursive     the whole closure: the paths and everything they refer to
  --json              Nix's JSON: path, narHash, narSize, references, ca, deriver,
                      signatures (a path the store lacks is {"path":…,"valid":false})
  -s, --size          the NAR size of each path
  -S, --closure-size  the sum of the NAR sizes of each path's closure
A path the store lacks is an error, except with --json.
${STORE_OPTION_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      ...STORE_OPTION,
      json: { type: "boolean" },
      recursive: { type: "boolean", short: "r" },
      size: { type: "boolean", short: "s" },
      "closure-size": { type: "boolean", short: "S" },
    },
    PATH_INFO_HELP,
  );
  if (!args) return 0;
  if (args.positionals.length === 0) throw new UsageError(`expected at least one STOREPATH\n${PATH_INFO_HELP.split("\n")[0]}`);
  // Like Nix, a path inside a store path names the store path.
  const roots = args.positionals.map((argument) => storePathArgument(argument).storePath);
  const { json = false, recursive = false, size = false } = args.values;
  const closureSize = args.values["closure-size"] ?? false;
  const dir = storeDir();
  const output = await withStore(args.values, async (store) => {
    const entries = await lookUp(store, roots, recursive, json);
    if (closureSize) {
      for (const entry of entries) if (entry.info) entry.closureSize = await sizeOfClosure(store, entry.storePath);
    }
    if (json) return formatPathInfosJson(entries, dir);
    const width = Math.max(...entries.map((e) => e.storePath.toAbsolute(dir).length));
    const lines = nixPrintOrder(entries).map(({ storePath, info, closureSize: closure }) => {
      let line = storePath.toAbsolute(dir);
      if (size || closureSize) line = line.padEnd(width);
      if (size) line += `\t${String(info!.narSize).padStart(11)}`;
      if (closure !== undefined) line += `\t${String(closure).padStart(11)}`;
      return `${line}\n`;
    });
    return lines.join("");
  });
  process.stdout.write(output);
  return 0;
}

/** The entries to print; a missing path fails unless `allowMissing`. */
async function lookUp(store: Store, roots: StorePath[], recursive: boolean, allowMissing: boolean): Promise<PathInfoJsonEntry[]> {
  if (recursive) return (await computeClosure(store.pathInfos, roots)).map((info) => ({ storePath: info.storePath, info }));
  const unique = new Map(roots.map((path) => [path.baseName, path]));
  return Promise.all(
    [...unique.values()].map(async (storePath) => ({
      storePath,
      info: allowMissing ? await store.pathInfos.get(storePath.digest) : await requirePathInfo(store, storePath),
    })),
  );
}

async function sizeOfClosure(store: Store, path: StorePath): Promise<number> {
  const closure: PathInfo[] = await computeClosure(store.pathInfos, [path]);
  return closure.reduce((sum, info) => sum + info.narSize, 0);
}
