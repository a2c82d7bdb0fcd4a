// `tvix eval`: nix-instantiate --eval. Options are nix-instantiate's, parsed as Nix parses
// them (`--arg NAME EXPR` takes two words); the evaluation itself runs in a worker thread.
import { type EvalRequest, type EvalResult } from "../eval/instantiate.ts";
import { evaluateInWorker } from "../eval/run-in-worker.ts";
import { UsageError } from "./errors.ts";

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

/** Options that Nix accepts and that change nothing here, with how many values they take. */
const IGNORED: Record<string, number> = {
  "--eval": 0,
  "--eval-only": 0,
  "--impure": 0,
  "--no-show-trace": 0,
  "--read-write-mode": 0,
  "--readonly-mode": 0,
  "--max-call-depth": 1,
  "--option": 2,
};

export function parseEvalArgs(argv: string[]): EvalRequest | undefined {
  const request: EvalRequest = {
    inputs: [],
    expressions: false,
    attrPaths: [],
    autoArgs: [],
    include: [],
    strict: false,
    output: "plain",
    location: true,
    showTrace: false,
    cwd: process.cwd(),
    nixPath: process.env.NIX_PATH,
    homeDir: process.env.HOME,
    experimentalFeatures: [],
    world: new URL("../glue/eval-world.ts", import.meta.url).href,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (n = 1): string[] => {
      if (i + n >= argv.length) throw new UsageError(`flag '${arg}' requires ${n === 1 ? "1 argument" : `${n} arguments`}`);
      const values = argv.slice(i + 1, i + 1 + n);
      i += n;
      return values;
    };
    switch (arg) {
      case "--help":
      case "-h":
        process.stdout.write(`${HELP}\n`);
        return undefined;
      case "-E":
      case "--expr":
        request.expressions = true;
        break;
      case "-A":
      case "--attr":
        request.attrPaths.push(...value());
        break;
      case "--arg":
      case "--argstr": {
        const [name, v] = value(2);
        request.autoArgs.push({ name, kind: arg === "--arg" ? "expr" : "string", value: v });
        break;
      }
      case "-I":
      case "--include":
        request.include.push(...value());
        break;
      case "--strict":
        request.strict = true;
        break;
      case "--json":
        request.output = "json";
        break;
      case "--xml":
        request.output = "xml";
        break;
      case "--no-location":
        request.location = false;
        break;
      case "--show-trace":
        request.showTrace = true;
        break;
      case "--experimental-features":
        request.experimentalFeatures = value()[0].split(" ").filter((f) => f !== "");
        break;
      case "--extra-experimental-features":
        request.experimentalFeatures?.push(...value()[0].split(" ").filter((f) => f !== ""));
        break;
      default:
        if (Object.hasOwn(IGNORED, arg)) value(IGNORED[arg]);
        else if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unrecognised flag '${arg}'\nTry 'tvix eval --help' for more information.`);
        else request.inputs.push(arg);
    }
  }
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
