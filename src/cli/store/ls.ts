// `tvix store ls`: a directory (or file) inside a store path, as `nix store ls` lists it.
import { bytesToUtf8 } from "../../nix-compat/byte-string.ts";
import { lookupNode, nodeListing } from "../../store/path-contents.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { LISTING_OPTIONS, LISTING_OPTIONS_HELP, checkListingOptions, formatListing } from "../listing-options.ts";
import { STORE_OPTION, STORE_OPTION_HELP } from "../store-options.ts";
import { requirePathInfo, storePathArgument, withStore } from "./store-command.ts";

const LS_HELP = `Usage: tvix store ls [-R] [-l] [-d] [--json] STOREPATH[/SUB]

Lists the directory (or shows the file or symlink) at STOREPATH/SUB, like 'nix store ls'.
${LISTING_OPTIONS_HELP}
  --json           print JSON: type, size, executable, target, entries
${STORE_OPTION_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { ...STORE_OPTION, ...LISTING_OPTIONS }, LS_HELP);
  if (!args) return 0;
  if (args.positionals.length !== 1) throw new UsageError(`expected exactly one STOREPATH[/SUB]\n${LS_HELP.split("\n")[0]}`);
  checkListingOptions(args.values);
  const argument = args.positionals[0];
  const { storePath, rest } = storePathArgument(argument);
  const output = await withStore(args.values, async (store) => {
    const info = await requirePathInfo(store, storePath, "is not a valid store path");
    const node = await lookupNode(info.node, rest, store.directories);
    if (node === undefined) throw new UsageError(`path '${argument}' does not exist`);
    // The node goes into a one-entry directory under the name it is listed as (the last
    // component, or the store path's base name), so that the NAR listing formats apply as is.
    // (It came from the command line, so it is valid UTF-8, as the formats' paths must be.)
    const name = bytesToUtf8(rest.replace(/\/$/, "").split("/").pop() || storePath.baseName);
    const root = { type: "directory" as const, entries: [{ name: Buffer.from(name), node: await nodeListing(node, store.directories) }] };
    return formatListing(root, `/${name}`, args.values);
  });
  process.stdout.write(output);
  return 0;
}
