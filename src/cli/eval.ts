// `tvix eval`: nix-instantiate --eval. Options are nix-instantiate's, parsed as Nix parses
// them (eval-args.ts); the evaluation itself runs in a worker thread.
import { type EvalRequest, type EvalResult } from "../eval/instantiate.ts";
import { evaluateInWorker } from "../eval/run-in-worker.ts";
import { defaultEvalRequest, parseEvalCommandLine } from "./eval-args.ts";

const HELP = `Usage: tvix eval [FILE… | -E EXPR…] [-A ATTRPATH] [--arg NAME EXPR] [--argstr NAME STRING]
                 [-I PATH | -I NAME=PATH] [--strict] [--json | --xml [--no-location]] [--show-trace]

Evaluates Nix files (default ./default.nix) or expressions and prints the result, exactly as
'nix-instantiate --eval' does.

  -E, --expr            the arguments are Nix expressions, not files
  -A, --attr PATH       print this attribute (a.b.0.c) of the result; may be repeated
  --arg NAME EXPR       argument for a top-level function (a Nix expression)
  --argstr NAME STRING  argument for a top-level function (a string)
  -I, --include PATH    add to the search path for <…> (NAME=PATH for <NAME/…>)
  --strict              evaluate the result completely
  --json, --xml         print as JSON / XML; --no-location leaves positions out of XML
  --show-trace          show the evaluation trace of errors`;

/** nix-instantiate's flags that change nothing here. */
const IGNORED = new Set(["--eval", "--eval-only"]);

export function parseEvalArgs(argv: string[]): EvalRequest | undefined {
  const request = defaultEvalRequest("plain");
  const inputs = parseEvalCommandLine(argv, {
    command: "eval",
    help: HELP,
    setup: request,
    selection: request,
    flag(flag) {
      switch (flag) {
        case "--strict":
          request.strict = true;
          return true;
        case "--json":
          request.output = "json";
          return true;
        case "--xml":
          request.output = "xml";
          return true;
        case "--no-location":
          request.location = false;
          return true;
        default:
          return IGNORED.has(flag);
      }
    },
  });
  if (!inputs) return undefined;
  request.inputs = inputs;
  return request;
}

export async function run(argv: string[]): Promise<number> {
  const request = parseEvalArgs(argv);
  if (!request) return 0;
  const result: EvalResult = await evaluateInWorker(request);
  process.stdout.write(Buffer.from(result.stdout, "latin1"));
  process.stderr.write(Buffer.from(result.stderr, "latin1"));
  return result.exitCode;
}
