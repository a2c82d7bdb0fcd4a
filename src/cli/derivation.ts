// `tvix derivation show`: prints .drv files as `nix show-derivation` (Nix 2.8) prints them.
import { readFileSync, readlinkSync, lstatSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { encodeBytes } from "../nix-compat/byte-string.ts";
import { parseAterm } from "../nix-compat/derivation/aterm-parse.ts";
import type { Derivation } from "../nix-compat/derivation/derivation.ts";
import { showDerivations } from "../nix-compat/derivation/show-json.ts";
import { NixCompatError } from "../nix-compat/errors.ts";
import { DEFAULT_STORE_DIR, parseStorePathPrefix } from "../nix-compat/store-path.ts";
import { parseCommandArgs, runSubcommand } from "./args.ts";
import { UsageError } from "./errors.ts";

const SHOW_HELP = `Usage: tvix derivation show [--recursive] DRV…

Prints the store derivations DRV… (.drv files in the Nix store, or symlinks to them) as JSON,
exactly as 'nix show-derivation' (Nix 2.8) does: one object keyed by drv path, with outputs,
inputSrcs, inputDrvs, system, builder, args and env.

Options:
  -r, --recursive  also show the input derivations, and theirs, and so on
  -h, --help       show this help

The .drv files are read from disk, so the input derivations of --recursive must be there too.
The store directory is $NIX_STORE_DIR, or ${DEFAULT_STORE_DIR}.
`;

export function run(argv: string[]): Promise<number> {
  return runSubcommand("derivation", argv, {
    show: { summary: "show derivations as JSON, like 'nix show-derivation'", run: show },
  });
}

async function show(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { recursive: { type: "boolean", short: "r" } }, SHOW_HELP);
  if (!args) return 0;
  if (args.positionals.length === 0) throw new UsageError(`no derivation given\n${SHOW_HELP.split("\n")[0]}`);
  const storeDir = process.env.NIX_STORE_DIR ?? DEFAULT_STORE_DIR;
  const drvs = new Map<string, Derivation>();
  const pending = args.positionals.map((arg) => drvPathOf(arg, storeDir));
  for (let drvPath = pending.pop(); drvPath !== undefined; drvPath = pending.pop()) {
    if (drvs.has(drvPath)) continue;
    const drv = readDerivation(drvPath, storeDir);
    drvs.set(drvPath, drv);
    if (args.values.recursive) {
      // Nix shows the .drv files in the closure: input derivations, and sources that are .drv files.
      pending.push(...drv.inputDrvs.keys(), ...drv.inputSrcs.filter((path) => path.endsWith(".drv")));
    }
  }
  process.stdout.write(encodeBytes(showDerivations(drvs)));
  return 0;
}

/** The store path of the .drv file `arg` names, following symlinks into the store like Nix. */
function drvPathOf(arg: string, storeDir: string): string {
  let path = resolve(arg);
  while (!path.startsWith(`${storeDir}/`) && lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) {
    path = resolve(dirname(path), readlinkSync(path));
  }
  const { storePath } = parseStorePathPrefix(path, storeDir);
  if (!storePath.name.endsWith(".drv")) {
    throw new NixCompatError(`'${storePath.toAbsolute(storeDir)}' is not a derivation (tvix reads .drv files; it cannot look up the deriver of an output)`);
  }
  return storePath.toAbsolute(storeDir);
}

function readDerivation(drvPath: string, storeDir: string): Derivation {
  const bytes = readFileSync(drvPath);
  try {
    return parseAterm(bytes, { storeDir });
  } catch (err) {
    if (err instanceof NixCompatError) throw new NixCompatError(`error parsing derivation '${drvPath}': ${err.message}`);
    throw err;
  }
}
