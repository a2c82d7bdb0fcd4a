// `tvix parse`: parses Nix code as `nix-instantiate --parse` does. Prints each expression in
// Nix's --parse notation (or its syntax tree as JSON), or Nix's error message and exit code 1.
import { Worker } from "node:worker_threads";
import { parseCommandArgs } from "./args.ts";
import { UsageError } from "./errors.ts";
import type { ParseJob, ParseResult } from "./parse-worker.ts";

const HELP = `Usage: tvix parse [--json] FILE...
       tvix parse [--json] -E EXPR...

Parses Nix files (a directory means its default.nix), or with -E expressions given as
arguments, exactly as Nix 2.8's 'nix-instantiate --parse' does, variable scoping included.
Prints each expression in Nix's --parse notation, fully parenthesised; exits with status 1
and Nix's error message at the first one that does not parse.
  -E, --expr  the arguments are Nix expressions, not file names
  --json      print the syntax tree as JSON instead (positions are byte offsets)`;

/** Stack for the parsing thread: enough for the deepest nesting Nix 2.8 accepts. */
const STACK_MB = 256;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { expr: { type: "boolean", short: "E" }, json: { type: "boolean" } }, HELP);
  if (!args) return 0;
  if (args.positionals.length === 0) throw new UsageError(`expected a FILE or -E EXPR\n${HELP.split("\n")[0]}`);
  const job: ParseJob = { inputs: args.positionals, expressions: args.values.expr === true, json: args.values.json === true };
  const worker = new Worker(new URL("./parse-worker.ts", import.meta.url), {
    workerData: job,
    resourceLimits: { stackSizeMb: STACK_MB },
  });
  const result = await new Promise<ParseResult>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  await worker.terminate();
  process.stdout.write(Buffer.from(result.stdout, "latin1"));
  process.stderr.write(Buffer.from(result.stderr, "latin1"));
  return result.exitCode;
}
