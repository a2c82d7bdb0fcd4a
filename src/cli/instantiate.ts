// `tvix instantiate`: nix-instantiate. Evaluates, writes the .drv files (and the sources and
// toFile texts they use) into the store as the evaluation adds them, and prints the .drv paths
// of the derivations found, as nix-instantiate does; an output the evaluation reads (import from
// derivation) is built as `tvix build` builds it. Evaluation options are `tvix eval`'s.
import type { EvalRequest } from "../eval/instantiate.ts";
import { BuildSession, type StoreArgs, readSessionFlag } from "./build-session.ts";
import { defaultEvalRequest, parseEvalCommandLine } from "./eval-args.ts";
import { STORE_OPTION_HELP } from "./store-options.ts";

const HELP = `Usage: tvix instantiate [FILE… | -E EXPR…] [-A ATTRPATH]… [--arg NAME EXPR] [--argstr NAME STRING]
                        [-I PATH | -I NAME=PATH] [--show-trace] [--store URL] [--builder URL]

Evaluates Nix files (default ./default.nix) or expressions, writes the store derivations of
the derivations found into the store, and prints their paths, as 'nix-instantiate' does
(PATH.drv!OUTPUT for an output other than out). Outputs the evaluation reads (import from
derivation) are built, as 'tvix build' builds them.

  -E, --expr            the arguments are Nix expressions, not files
  -A, --attr PATH       instantiate this attribute (a.b.0.c) of the result; may be repeated
  --arg NAME EXPR       argument for a top-level function (a Nix expression)
  --argstr NAME STRING  argument for a top-level function (a string)
  -I, --include PATH    add to the search path for <…> (NAME=PATH for <NAME/…>)
  --show-trace          show the evaluation trace of errors
  --builder URL         where builds for import from derivation run, as in 'tvix build'
                        (default: $TVIX_BUILDER, else oci://)
${STORE_OPTION_HELP}`;

interface InstantiateArgs {
  request: EvalRequest;
  store: StoreArgs;
  builder?: string;
}

export function parseInstantiateArgs(argv: string[]): InstantiateArgs | undefined {
  const request: EvalRequest = { ...defaultEvalRequest("derivations"), streamStorePaths: true, realiseStorePaths: true };
  const args: InstantiateArgs = { request, store: {} };
  const inputs = parseEvalCommandLine(argv, {
    command: "instantiate",
    help: HELP,
    setup: request,
    selection: request,
    flag: (flag, take) => readSessionFlag(flag, take, args),
  });
  if (!inputs) return undefined;
  request.inputs = inputs;
  return args;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseInstantiateArgs(argv);
  if (!args) return 0;
  // Only what the evaluation reads is built: no derivation is wanted, none is built ahead.
  const options = { store: args.store, builder: args.builder, maxJobs: 1, keepGoing: false, dryRun: false, speculate: false, quiet: false, timeoutSeconds: 0, maxSilentSeconds: 0, cores: undefined };
  return BuildSession.run(options, async (session) => {
    const evaluated = await session.evaluate(args.request, () => []);
    if (typeof evaluated === "number") return evaluated;
    process.stdout.write(Buffer.from(evaluated.stdout, "latin1"));
    process.stderr.write(Buffer.from(evaluated.stderr, "latin1"));
    return 0;
  });
}
