// `tvix store dump`: a store path as a NAR on standard output (`nix-store --dump`).
import { isatty } from "node:tty";
import { writeFully } from "../../nix-compat/nar/write-fd.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { createProgress } from "../progress.ts";
import { STORE_OPTION, STORE_OPTION_HELP } from "../store-options.ts";
import { requirePathInfo, storePathArgument, withStore } from "./store-command.ts";

const DUMP_HELP = `Usage: tvix store dump STOREPATH

Writes the NAR (Nix archive) of STOREPATH, as the store holds it, to standard output: the
same bytes as 'nix-store --dump STOREPATH'. A NAR is not written to a terminal.
${STORE_OPTION_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { ...STORE_OPTION }, DUMP_HELP);
  if (!args) return 0;
  if (args.positionals.length !== 1) throw new UsageError(`expected exactly one STOREPATH\n${DUMP_HELP.split("\n")[0]}`);
  // As newer Nix does (`nix store dump-path`): binary on a terminal helps no one.
  if (isatty(1)) throw new UsageError("refusing to write a NAR to a terminal; redirect standard output");
  const { storePath, rest } = storePathArgument(args.positionals[0]);
  if (rest !== "") throw new UsageError(`'${args.positionals[0]}' is inside a store path; 'tvix store dump' takes a store path`);
  const { renderNar } = await import("../../store/nar/render.ts");
  await withStore(args.values, async (store) => {
    const info = await requirePathInfo(store, storePath);
    const progress = createProgress("dumping", { unit: "bytes" });
    let written = 0;
    try {
      for await (const chunk of renderNar(info.node, store.blobs, store.directories)) {
        writeFully(1, chunk);
        written += chunk.length;
        progress.update(written, info.narSize);
      }
    } finally {
      progress.done();
    }
  });
  return 0;
}
