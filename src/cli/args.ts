// Command-line parsing shared by every command: node:util's parseArgs, `--help`, and usage
// errors in Nix's words.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./errors.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface ParsedArgs<O extends Options> {
  values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>["values"];
  positionals: string[];
}

/**
 * Parses `argv` for one command. Returns `undefined` after printing `help` when `--help` is
 * given, so callers do `if (!args) return 0`.
 */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, help: string): ParsedArgs<O> | undefined {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(help.endsWith("\n") ? help : `${help}\n`);
    return undefined;
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values, positionals } as ParsedArgs<O>;
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional.*$/s, "")}\n${help.split("\n")[0]}`);
  }
}

export interface Subcommand {
  summary: string;
  run: (argv: string[]) => Promise<number>;
}

/** Runs `tvix GROUP SUB …`: picks the subcommand or prints the group's help. */
export async function runSubcommand(group: string, argv: string[], subcommands: Record<string, Subcommand>): Promise<number> {
  const [name, ...rest] = argv;
  const width = Math.max(...Object.keys(subcommands).map((s) => s.length));
  const help = [
    `Usage: tvix ${group} SUBCOMMAND [ARGS…]`,
    "",
    "Subcommands:",
    ...Object.entries(subcommands).map(([s, c]) => `  ${s.padEnd(width)}  ${c.summary}`),
    "",
    `Run 'tvix ${group} SUBCOMMAND --help' for its options.`,
    "",
  ].join("\n");
  if (name === undefined || name === "--help" || name === "-h") {
    process.stdout.write(help);
    return name === undefined ? 1 : 0;
  }
  const sub = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
  if (!sub) throw new UsageError(`'${name}' is not a 'tvix ${group}' subcommand; run 'tvix ${group} --help'`);
  return sub.run(rest);
}
