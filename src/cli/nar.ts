// `tvix nar dump|restore|ls`: write a path as a NAR (`nix-store --dump`), unpack one
// (`nix-store --restore`), and list one (`nix nar ls`). Each subcommand loads only the modules
// it needs: every TypeScript module loaded costs start-up time, which `dump` is measured by.
import { createReadStream } from "node:fs";
import { parseCommandArgs, runSubcommand } from "./args.ts";
import { UsageError } from "./errors.ts";
import { LISTING_OPTIONS, LISTING_OPTIONS_HELP, checkListingOptions, formatListing } from "./listing-options.ts";

const DUMP_HELP = `Usage: tvix nar dump PATH

Writes the NAR (Nix archive) serialisation of PATH to standard output, byte for byte as
'nix-store --dump PATH' does. A symlink is archived as the link itself; a file is executable
when its owner may execute it; sockets, FIFOs and devices are refused.`;

async function dump(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, {}, DUMP_HELP);
  if (!args) return 0;
  const path = onlyArgument(args.positionals, "PATH", DUMP_HELP);
  const { writeNar } = await import("../nix-compat/nar/writer.ts");
  writeNar(path, 1);
  return 0;
}

const RESTORE_HELP = `Usage: tvix nar restore DIR < FILE.nar

Unpacks the NAR read from standard input at DIR, which must not exist, like
'nix-store --restore DIR'. Directories get mode 0755, files 0644, executables 0755.
The archive is unpacked beside DIR and moved into place only once all of it has been read
and checked; a malformed archive (bad names, unsorted or duplicate entries, truncation,
trailing data, ...) is refused with its byte offset and leaves nothing behind.`;

async function restore(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, {}, RESTORE_HELP);
  if (!args) return 0;
  const dir = onlyArgument(args.positionals, "DIR", RESTORE_HELP);
  const { restoreNar } = await import("../nix-compat/nar/restore.ts");
  await restoreNar(process.stdin, dir);
  return 0;
}

/** The one positional argument a subcommand takes. */
function onlyArgument(positionals: string[], name: string, help: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected exactly one ${name}\n${help.split("\n")[0]}`);
  return positionals[0];
}

const LS_HELP = `Usage: tvix nar ls [-R] [-l] [-d] [--json] FILE.nar [PATH]

Lists PATH inside the NAR file FILE.nar (default '/', the root), like 'nix nar ls'.
${LISTING_OPTIONS_HELP}
  --json           print JSON: type, size, executable, narOffset, target, entries`;

async function ls(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, LISTING_OPTIONS, LS_HELP);
  if (!args) return 0;
  const [file, path = "/", ...extra] = args.positionals;
  if (file === undefined || extra.length > 0) throw new UsageError(`expected FILE.nar and at most one PATH\n${LS_HELP.split("\n")[0]}`);
  checkListingOptions(args.values);
  const { findNarPath, readNarListing } = await import("../nix-compat/nar/listing.ts");
  // Refuse a bad PATH before reading a possibly large NAR.
  findNarPath({ type: "directory", entries: [] }, path);
  const root = await readNarListing(createReadStream(file, { highWaterMark: 1 << 20 }));
  process.stdout.write(await formatListing(root, path, args.values));
  return 0;
}

export function run(argv: string[]): Promise<number> {
  return runSubcommand("nar", argv, {
    dump: { summary: "write the NAR of a path to stdout (nix-store --dump)", run: dump },
    restore: { summary: "unpack a NAR from stdin into a new directory (nix-store --restore)", run: restore },
    ls: { summary: "list the contents of a NAR file (nix nar ls)", run: ls },
  });
}
