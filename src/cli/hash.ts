// `tvix hash path|file|convert`: the shapes of `nix hash path`, `nix hash file` and
// `nix hash convert`.
import { type Hash, type HashEncoding, hashFile, parseHash, parseHashAlgo } from "../nix-compat/hash.ts";
import { narHash } from "../nix-compat/nar/writer.ts";
import { parseCommandArgs, runSubcommand } from "./args.ts";
import { UsageError } from "./errors.ts";

const ENCODING_FLAGS = {
  base16: { type: "boolean" },
  base32: { type: "boolean" },
  base64: { type: "boolean" },
  sri: { type: "boolean" },
} as const;

/** Nix's encoding flags; "base32" is Nix's name for nixbase32. SRI is the default. */
function chosenEncoding(values: Partial<Record<keyof typeof ENCODING_FLAGS, boolean>>): HashEncoding {
  const chosen = (["base16", "base32", "base64", "sri"] as const).filter((flag) => values[flag]);
  if (chosen.length > 1) throw new UsageError(`choose one of --base16, --base32, --base64, --sri (got ${chosen.map((c) => `--${c}`).join(", ")})`);
  const flag = chosen[0] ?? "sri";
  return flag === "base32" ? "nix32" : flag;
}

/** What `nix hash path/file` prints: the bare digest, or `algo-base64` for SRI. */
function printed(hash: Hash, encoding: HashEncoding): string {
  return encoding === "sri" ? hash.toSri() : hash.encode(encoding);
}

function hashCommand(kind: "path" | "file"): (argv: string[]) => Promise<number> {
  const help = `Usage: tvix hash ${kind} [--type md5|sha1|sha256|sha512] [--base16|--base32|--base64|--sri] PATH…

Prints the hash of ${kind === "path" ? "the NAR serialisation of each PATH (like 'nix hash path')" : "the contents of each regular file (like 'nix hash file')"}.
SRI is the default output; --base32 is Nix's base-32. The default type is sha256.`;
  return async (argv) => {
    const args = parseCommandArgs(argv, { type: { type: "string", default: "sha256" }, ...ENCODING_FLAGS }, help);
    if (!args) return 0;
    const algo = parseHashAlgo(args.values.type ?? "sha256");
    const encoding = chosenEncoding(args.values);
    for (const path of args.positionals) {
      const hash = kind === "path" ? narHash(path, algo).hash : hashFile(algo, path);
      process.stdout.write(`${printed(hash, encoding)}\n`);
    }
    return 0;
  };
}

const CONVERT_HELP = `Usage: tvix hash convert [--to base16|base32|nix32|base64|sri] [--hash-algo ALGO] HASH…

Converts each HASH (any form Nix accepts: base16, base32, base64 with 'algo:' prefix, or SRI)
to the chosen encoding, like 'nix hash convert'. --hash-algo gives the algorithm of hashes
without a prefix. SRI is the default; non-SRI output is the bare digest.`;

async function convert(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { to: { type: "string", default: "sri" }, "hash-algo": { type: "string" }, type: { type: "string" } }, CONVERT_HELP);
  if (!args) return 0;
  const target = args.values.to ?? "sri";
  if (!["base16", "base32", "nix32", "base64", "sri"].includes(target)) throw new UsageError(`unknown hash encoding '${target}' (use base16, base32, base64 or sri)`);
  const encoding: HashEncoding = target === "base32" ? "nix32" : (target as HashEncoding);
  const algoName = args.values["hash-algo"] ?? args.values.type;
  const algo = algoName === undefined ? undefined : parseHashAlgo(algoName);
  for (const text of args.positionals) process.stdout.write(`${printed(parseHash(text, algo), encoding)}\n`);
  return 0;
}

export function run(argv: string[]): Promise<number> {
  return runSubcommand("hash", argv, {
    path: { summary: "hash the NAR serialisation of paths (nix hash path)", run: hashCommand("path") },
    file: { summary: "hash the contents of files (nix hash file)", run: hashCommand("file") },
    convert: { summary: "convert hashes between base16, base32, base64 and SRI", run: convert },
  });
}
