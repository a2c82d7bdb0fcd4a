// The command line of the commands that evaluate (`tvix eval`, `tvix repl`), parsed as Nix
// parses it: a flag takes the words after it (`--arg NAME EXPR` takes two), and the options
// every evaluating Nix command has (`--arg`, `-I`, `--show-trace`, …) are read here.
import type { EvalRequest, EvalSetup } from "../eval/instantiate.ts";
import { UsageError } from "./errors.ts";

/** Options that Nix accepts and that change nothing here, with how many values they take. */
const IGNORED: Record<string, number> = {
  "--impure": 0,
  "--no-show-trace": 0,
  "--read-write-mode": 0,
  "--readonly-mode": 0,
  "--max-call-depth": 1,
  "--option": 2,
};

/** The setup before any option: this process's directory and environment, and the store-aware builtins. */
export function defaultEvalSetup(): EvalSetup {
  return {
    autoArgs: [],
    include: [],
    showTrace: false,
    cwd: process.cwd(),
    nixPath: process.env.NIX_PATH,
    homeDir: process.env.HOME,
    experimentalFeatures: [],
    world: new URL("../glue/eval-world.ts", import.meta.url).href,
  };
}

/** A request evaluating the command line's file or expressions (filled in by parseEvalCommandLine). */
export function defaultEvalRequest(output: EvalRequest["output"]): EvalRequest {
  return { ...defaultEvalSetup(), inputs: [], expressions: false, attrPaths: [], strict: false, output, location: true };
}

export interface EvalCommandLine {
  /** The name after `tvix`, for the usage error. */
  command: string;
  help: string;
  /** Where the shared options go. */
  setup: EvalSetup;
  /** For commands that evaluate a file or expressions: where `-E` and `-A` go. */
  selection?: { expressions: boolean; attrPaths: string[] };
  /** The command's own flags: true if `flag` is one; `take(n)` gives the n words after it. */
  flag(flag: string, take: (n?: number) => string[]): boolean;
}

function unrecognised(flag: string, line: EvalCommandLine): UsageError {
  return new UsageError(`unrecognised flag '${flag}'\nTry 'tvix ${line.command} --help' for more information.`);
}

/** Parses `argv` into `line.setup` and returns the other arguments, or undefined after printing the help. */
export function parseEvalCommandLine(argv: string[], line: EvalCommandLine): string[] | undefined {
  const { setup } = line;
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const take = (n = 1): string[] => {
      if (i + n >= argv.length) throw new UsageError(`flag '${arg}' requires ${n === 1 ? "1 argument" : `${n} arguments`}`);
      const values = argv.slice(i + 1, i + 1 + n);
      i += n;
      return values;
    };
    switch (arg) {
      case "--help":
      case "-h":
        process.stdout.write(`${line.help}\n`);
        return undefined;
      case "--arg":
      case "--argstr": {
        const [name, value] = take(2);
        setup.autoArgs.push({ name, kind: arg === "--arg" ? "expr" : "string", value });
        break;
      }
      case "-I":
      case "--include":
        setup.include.push(...take());
        break;
      case "--show-trace":
        setup.showTrace = true;
        break;
      case "-E":
      case "--expr":
        if (!line.selection) throw unrecognised(arg, line);
        line.selection.expressions = true;
        break;
      case "-A":
      case "--attr":
        if (!line.selection) throw unrecognised(arg, line);
        line.selection.attrPaths.push(...take());
        break;
      case "--experimental-features":
        setup.experimentalFeatures = take()[0].split(" ").filter((f) => f !== "");
        break;
      case "--extra-experimental-features":
        setup.experimentalFeatures?.push(...take()[0].split(" ").filter((f) => f !== ""));
        break;
      default:
        if (line.flag(arg, take)) break;
        if (Object.hasOwn(IGNORED, arg)) take(IGNORED[arg]);
        else if (arg.startsWith("-") && arg !== "-") throw unrecognised(arg, line);
        else positionals.push(arg);
    }
  }
  return positionals;
}
