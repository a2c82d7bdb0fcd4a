// `tvix build`: nix-build. Evaluates in the worker; what the evaluation adds streams out and is
// written into the store as it comes, and its derivations go to the coordinator, which builds
// what the store lacks (while evaluation still runs); then `./result` links point at the wanted
// outputs, rendered on local disk, and their store paths are printed — with nix-build's
// messages and exit codes.
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { replaceSymlink } from "../coordinator/realised.ts";
import type { Outcome, WantedOutputs } from "../coordinator/state-machine.ts";
import type { EvalRequest } from "../eval/instantiate.ts";
import { BuildSession, type StoreArgs, buildExitCode, readSessionFlag, writeErr } from "./build-session.ts";
import { UsageError, formatNixError } from "./errors.ts";
import { defaultEvalRequest, parseEvalCommandLine } from "./eval-args.ts";
import { STORE_OPTION_HELP } from "./store-options.ts";

const HELP = `Usage: tvix build [FILE… | -E EXPR…] [-A ATTRPATH]… [--arg NAME EXPR] [--argstr NAME STRING]
                  [-I PATH | -I NAME=PATH] [-o LINK | --no-out-link] [--store URL] [--builder URL]
                  [-j N] [--keep-going] [--dry-run] [--timeout S] [--max-silent-time S] [-Q]

Evaluates Nix files (default ./default.nix) or expressions and builds the derivations found,
as 'nix-build' does: what the store lacks is built (builds start while evaluation still runs),
./result (result-2, result-OUTPUT, …) points at each output on local disk, and the output
paths are printed.

  -E, --expr            the arguments are Nix expressions, not files
  -A, --attr PATH       build this attribute (a.b.0.c) of the result; may be repeated
  --arg NAME EXPR       argument for a top-level function (a Nix expression)
  --argstr NAME STRING  argument for a top-level function (a string)
  -I, --include PATH    add to the search path for <…> (NAME=PATH for <NAME/…>)
  -o, --out-link LINK   name the links LINK, LINK-2, LINK-OUTPUT… instead of result
  --no-out-link         make no links, only print the output paths
  --builder URL         where builds run (default: $TVIX_BUILDER, else oci://, the local runc
                        sandbox); grpc+unix:///SOCKET, grpc+http://HOST:PORT for a builder daemon,
                        with ?push-store=URL for the store as the daemon reaches it, which it then
                        pushes outputs into (default: the --store URL when that is grpc+http(s)://)
  -j, --max-jobs N      builds at once (default 1; 'auto': one per CPU)
  -k, --keep-going      after a failure, build everything that does not depend on it
  --dry-run             show what would be built, build nothing
  --timeout S           kill a build after S seconds (default: none)
  --max-silent-time S   kill a build silent for S seconds (default: none)
  --cores N             NIX_BUILD_CORES for builds (default: the CPUs here; 0: all)
  -Q, --no-build-output do not show build logs (a failure still shows its last lines)
  --show-trace          show the evaluation trace of errors
${STORE_OPTION_HELP}
  The output of a build is kept on local disk in the local store's directory, DIR/realised/
  (other stores: $XDG_CACHE_HOME/tvix-ts/realised/); the links point there.`;

/** nix-build's flags that change nothing here, with how many values they take. */
const IGNORED: Record<string, number> = { "--no-substitute": 0, "--fallback": 0, "--add-root": 1, "--drv-link": 1, "--no-drv-link": 0, "--indirect": 0 };

export interface BuildArgs {
  request: EvalRequest;
  store: StoreArgs;
  builder?: string;
  outLink: string | undefined;
  maxJobs: number;
  keepGoing: boolean;
  dryRun: boolean;
  quiet: boolean;
  timeoutSeconds: number;
  maxSilentSeconds: number;
  cores: number | undefined;
}

function count(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`flag '${flag}' requires a non-negative integer, not '${value}'`);
  return Number(value);
}

export function parseBuildArgs(argv: string[]): BuildArgs | undefined {
  const request: EvalRequest = { ...defaultEvalRequest("derivations"), streamStorePaths: true, realiseStorePaths: true };
  const args: BuildArgs = { request, store: {}, outLink: "result", maxJobs: 1, keepGoing: false, dryRun: false, quiet: false, timeoutSeconds: 0, maxSilentSeconds: 0, cores: undefined };
  const inputs = parseEvalCommandLine(argv, {
    command: "build",
    help: HELP,
    setup: request,
    selection: request,
    flag(flag, take) {
      switch (flag) {
        case "-o":
        case "--out-link":
          args.outLink = take()[0];
          return true;
        case "--no-out-link":
          args.outLink = undefined;
          return true;
        case "-j":
        case "--max-jobs": {
          const value = take()[0];
          args.maxJobs = value === "auto" ? availableParallelism() : count(flag, value);
          if (args.maxJobs === 0) throw new UsageError("'--max-jobs 0' would build nothing here (there are no remote builders to hand builds to); give 1 or more");
          return true;
        }
        case "-k":
        case "--keep-going":
          args.keepGoing = true;
          return true;
        case "--dry-run":
          args.dryRun = true;
          return true;
        case "-Q":
        case "--no-build-output":
          args.quiet = true;
          return true;
        case "--timeout":
          args.timeoutSeconds = count(flag, take()[0]);
          return true;
        case "--max-silent-time":
          args.maxSilentSeconds = count(flag, take()[0]);
          return true;
        case "--cores":
          args.cores = count(flag, take()[0]);
          return true;
        default:
          if (readSessionFlag(flag, take, args)) return true;
          if (!Object.hasOwn(IGNORED, flag)) return false;
          take(IGNORED[flag]);
          return true;
      }
    },
  });
  if (!inputs) return undefined;
  request.inputs = inputs;
  return args;
}

/** The evaluation's stdout in nix-instantiate's form: a .drv path per line, `!OUTPUT` unless `out`. */
function wantedOutputs(stdout: string): WantedOutputs[] {
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const bang = line.indexOf("!");
      return bang < 0 ? { drvPath: line, outputs: ["out"] } : { drvPath: line.slice(0, bang), outputs: [line.slice(bang + 1)] };
    });
}

export async function run(argv: string[]): Promise<number> {
  const args = parseBuildArgs(argv);
  if (!args) return 0;
  return BuildSession.run({ ...args, speculate: !args.dryRun }, (session) => build(args, session));
}

async function build(args: BuildArgs, session: BuildSession): Promise<number> {
  const evaluated = await session.evaluate(args.request, wantedOutputs);
  if (typeof evaluated === "number") return evaluated;
  const { wanted, outcome } = evaluated;
  if (args.dryRun) {
    printWouldBuild(outcome.wouldBuild);
    return 0;
  }
  if (!outcome.success) return reportFailure(outcome, wanted);
  const outPaths: string[] = [];
  const prefixes = new Map<string, string>();
  for (const { drvPath, outputs } of wanted) {
    const drv = session.driver.derivation(drvPath)!;
    if (!prefixes.has(drvPath)) prefixes.set(drvPath, prefixes.size === 0 ? (args.outLink ?? "") : `${args.outLink ?? ""}-${prefixes.size + 1}`);
    for (const output of outputs) {
      const outPath = (drv.outputs.get(output) as { path?: string } | undefined)?.path;
      if (outPath === undefined) throw new UsageError(`derivation '${drvPath}' does not have an output named '${output}'`);
      if (args.outLink !== undefined) await replaceSymlink(await session.onDisk(outPath), resolve(`${prefixes.get(drvPath)}${output === "out" ? "" : `-${output}`}`));
      outPaths.push(outPath);
    }
  }
  process.stdout.write(Buffer.from(outPaths.map((p) => `${p}\n`).join(""), "latin1"));
  return 0;
}

/** nix-build --dry-run's list (printMissing). */
function printWouldBuild(drvPaths: string[]): void {
  if (drvPaths.length === 0) return;
  const head = drvPaths.length === 1 ? "this derivation will be built:" : `these ${drvPaths.length} derivations will be built:`;
  writeErr(`${head}\n${drvPaths.map((p) => `  ${p}\n`).join("")}`);
}

/** What failed, as Nix says it after the builders' own messages; returns the exit code. */
function reportFailure(outcome: Outcome, wanted: WantedOutputs[]): number {
  for (const { drvPath, failedInputs } of outcome.skipped) writeErr(formatNixError(`${failedInputs.length} dependencies of derivation '${drvPath}' failed to build`));
  const broken = new Set([...outcome.failed.map((f) => f.drvPath), ...outcome.skipped.map((s) => s.drvPath)]);
  const failedWanted = [...new Set(wanted.map((w) => w.drvPath).filter((d) => broken.has(d) || outcome.notStarted.includes(d)))];
  if (failedWanted.length > 1 || outcome.failed.length === 0) writeErr(formatNixError(`build of ${failedWanted.map((d) => `'${d}'`).join(", ")} failed`));
  return buildExitCode(outcome);
}
