// `tvix key …`: binary-cache signing keys in Nix's file format.
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { SecretKey } from "../nix-compat/signing.ts";
import { parseCommandArgs, runSubcommand } from "./args.ts";
import { UsageError } from "./errors.ts";

const GENERATE_HELP = `Usage: tvix key generate [--force] NAME SECRET_FILE PUBLIC_FILE

Generates an ed25519 key pair for signing binary caches, like
'nix-store --generate-binary-cache-key NAME SECRET_FILE PUBLIC_FILE':
  SECRET_FILE  gets NAME:BASE64(seed ‖ public key), mode 0600
  PUBLIC_FILE  gets NAME:BASE64(public key), for trusted-public-keys
Both files are written as Nix writes them (no trailing newline), each atomically.
NAME is conventionally the cache's host name and a number, e.g. cache.example.org-1.

Options:
  --force  overwrite existing files; without it, an existing SECRET_FILE or PUBLIC_FILE is an
           error (nix-store silently overwrites, which can lose a key for good)`;

const PUBLIC_HELP = `Usage: tvix key public SECRET_FILE

Prints the public key that belongs to the secret key in SECRET_FILE ('-' reads standard
input), like 'nix key convert-secret-to-public', followed by a newline.`;

async function generate(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { force: { type: "boolean" } }, GENERATE_HELP);
  if (!args) return 0;
  if (args.positionals.length !== 3) throw new UsageError(`'tvix key generate' takes three arguments\n${GENERATE_HELP.split("\n")[0]}`);
  const [name, secretFile, publicFile] = args.positionals;
  const force = args.values.force ?? false;
  if (secretFile === publicFile) throw new UsageError("SECRET_FILE and PUBLIC_FILE must differ");
  if (!force) {
    // Check both before writing either, so a refusal leaves no half of a pair behind.
    for (const file of [secretFile, publicFile]) if (existsSync(file)) throw alreadyExists(file);
  }
  const key = SecretKey.generate(name);
  writeFileAtomically(secretFile, key.toString(), 0o600, force);
  writeFileAtomically(publicFile, key.publicKey.toString(), 0o666, force);
  return 0;
}

async function printPublic(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, {}, PUBLIC_HELP);
  if (!args) return 0;
  if (args.positionals.length !== 1) throw new UsageError(`'tvix key public' takes one argument\n${PUBLIC_HELP.split("\n")[0]}`);
  const [file] = args.positionals;
  const key = SecretKey.parse(readFileSync(file === "-" ? 0 : file, "utf8"));
  process.stdout.write(`${key.publicKey.toString()}\n`);
  return 0;
}

function alreadyExists(file: string): UsageError {
  return new UsageError(`'${file}' already exists; pass --force to overwrite it`);
}

/**
 * Writes `contents` to a fresh temporary file beside `path` (created with `mode`, so a secret
 * is never readable by others, not even briefly) and moves it into place: rename replaces an
 * existing file, link refuses to.
 */
function writeFileAtomically(path: string, contents: string, mode: number, overwrite: boolean): void {
  const temporary = `${path}.tmp-${randomBytes(6).toString("hex")}`;
  const fd = openSync(temporary, "wx", mode);
  try {
    try {
      writeSync(fd, contents);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (overwrite) {
      renameSync(temporary, path);
    } else {
      try {
        linkSync(temporary, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EEXIST") throw alreadyExists(path);
        throw err;
      }
    }
  } finally {
    if (existsSync(temporary)) unlinkSync(temporary);
  }
}

export function run(argv: string[]): Promise<number> {
  return runSubcommand("key", argv, {
    generate: { summary: "generate a signing key pair (nix-store --generate-binary-cache-key)", run: generate },
    public: { summary: "print the public key of a secret key file", run: printPublic },
  });
}
