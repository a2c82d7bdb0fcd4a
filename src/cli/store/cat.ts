// `tvix store cat`: the contents of a file inside a store path (`nix store cat`).
import { fileContents } from "../../castore/fs/render.ts";
import { writeFully } from "../../nix-compat/nar/write-fd.ts";
import { lookupNode } from "../../store/path-contents.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { STORE_OPTION, STORE_OPTION_HELP } from "../store-options.ts";
import { requirePathInfo, storePathArgument, withStore } from "./store-command.ts";

const CAT_HELP = `Usage: tvix store cat STOREPATH[/SUB]

Writes the contents of the regular file at STOREPATH/SUB to standard output, like
'nix store cat'. Symlinks are not followed.
${STORE_OPTION_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { ...STORE_OPTION }, CAT_HELP);
  if (!args) return 0;
  if (args.positionals.length !== 1) throw new UsageError(`expected exactly one STOREPATH[/SUB]\n${CAT_HELP.split("\n")[0]}`);
  const argument = args.positionals[0];
  const { storePath, rest } = storePathArgument(argument);
  await withStore(args.values, async (store) => {
    const info = await requirePathInfo(store, storePath, "is not a valid store path");
    const node = await lookupNode(info.node, rest, store.directories);
    if (node === undefined) throw new UsageError(`path '${argument}' does not exist`);
    if (node.kind !== "file") throw new UsageError(`path '${argument}' is not a regular file`);
    for await (const chunk of fileContents(store.blobs, node, argument)) writeFully(1, chunk);
  });
  return 0;
}
