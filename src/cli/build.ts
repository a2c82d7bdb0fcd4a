// `tvix build`: nix-build. Evaluates in the worker; what the evaluation adds streams out and is
// written into the store as it comes, and its derivations go to the coordinator, which builds
// what the store lacks (while evaluation still runs); then `./result` links point at the wanted
// outputs, rendered on local disk, and their store paths are printed — with nix-build's
// messages and exit codes.
import { availableParallelism, homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { openBuildService } from "../build/composition.ts";
import { BuildError, type BuildService } from "../build/build-service.ts";
import { BuildDriver, type DriverReporter, storeBuildGlue } from "../coordinator/driver.ts";
import { realiseOnDisk, replaceSymlink } from "../coordinator/realised.ts";
import type { Outcome, WantedOutputs } from "../coordinator/state-machine.ts";
import type { EvalRequest } from "../eval/instantiate.ts";
import { evaluateInWorker } from "../eval/run-in-worker.ts";
import { BuildRequestError } from "../glue/build-request.ts";
import { isPendingMessage, pendingFromMessage } from "../glue/pending-stream.ts";
import { type RealiseReply, answerRealise, isRealiseRequest } from "../glue/realise-channel.ts";
import { parseStorePath } from "../nix-compat/store-path.ts";
import { WritePendingError } from "../glue/write-pending.ts";
import { localStoreDirectory } from "../store/local/store.ts";
import type { Store } from "../store/composition.ts";
import { UsageError, formatNixError } from "./errors.ts";
import { defaultEvalRequest, parseEvalCommandLine } from "./eval-args.ts";
import { createProgress } from "./progress.ts";
import { STORE_OPTION_HELP, defaultStoreUrl, openStoreFromArgs, storeDir } from "./store-options.ts";

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
                        sandbox); grpc+unix:///SOCKET, grpc+http://HOST:PORT for a builder daemon
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

/** Log lines kept for a failed build's message when its log was not shown (Nix's log-lines). */
const LOG_LINES = 10;

export interface BuildArgs {
  request: EvalRequest;
  store: { store?: string; "store-composition"?: string };
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
        case "--store":
          args.store.store = take()[0];
          return true;
        case "--store-composition":
          args.store["store-composition"] = take()[0];
          return true;
        case "--builder":
          args.builder = take()[0];
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

/** Where outputs are rendered for links: the local store's `realised/`, else a cache directory. */
export function realisedDir(args: BuildArgs): string {
  const url = args.store["store-composition"] === undefined && !(args.store.store === undefined && process.env.TVIX_STORE_COMPOSITION) ? (args.store.store ?? defaultStoreUrl()) : undefined;
  if (url?.startsWith("local:")) return join(localStoreDirectory(new URL(url)), "realised");
  const xdgCache = process.env.XDG_CACHE_HOME;
  return join(xdgCache && isAbsolute(xdgCache) ? xdgCache : join(homedir(), ".cache"), "tvix-ts", "realised");
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

/** nix-instantiate's warning about GC roots, which nix-build does not print. */
const GC_WARNING = "warning: you did not specify '--add-root'; the result might be removed by the garbage collector\n";

function writeErr(text: string): void {
  process.stderr.write(Buffer.from(text, "latin1"));
}

/** Nix 2.8's exit code for failed builds (Worker::exitStatus): 100 + 1 timeout + 2 hash mismatch; 1 otherwise. */
export function buildExitCode(outcome: Outcome): number {
  let mask = 0;
  for (const { failure } of outcome.failed) {
    if (failure.kind !== "transient") mask |= 0x04;
    if (failure.kind === "timedOut") mask |= 0x01;
    if (failure.kind === "hashMismatch") mask |= 0x02;
  }
  return mask === 0 ? 1 : mask | 0x60;
}

/**
 * Shows builds as nix-build does: "building '…'..." and the live log; on a terminal a progress
 * line instead of the log. The failure of a build the evaluation waits for (import from
 * derivation) is not shown here but kept in `evaluationFailures`: it becomes the evaluation's
 * error, which Nix prints once.
 */
function reporter(args: BuildArgs, awaitedByEvaluation: Set<string>, evaluationFailures: Map<string, string>): DriverReporter & { done(): void } {
  const progress = createProgress("builds done:");
  const live = !args.quiet && !process.stderr.isTTY;
  const running = new Set<string>();
  let finished = 0;
  // Names without store directory, hash and `.drv`: `running: hello chain-a`.
  const redraw = () => progress.update(finished, undefined, running.size === 0 ? "" : `running: ${[...running].map((p) => p.slice(p.lastIndexOf("/") + 34, -4)).join(" ")}`);
  return {
    buildStarted(drvPath) {
      running.add(drvPath);
      progress.clear();
      writeErr(`building '${drvPath}'...\n`);
      redraw();
    },
    buildLog: live ? (_drvPath, chunk) => process.stderr.write(chunk) : undefined,
    buildFinished(drvPath, failure) {
      running.delete(drvPath);
      finished++;
      progress.clear();
      const text = failure && `${failure.message}${live ? "" : logTailText(failure.logTail)}`;
      if (text !== undefined && awaitedByEvaluation.has(drvPath)) evaluationFailures.set(drvPath, text);
      else if (text !== undefined) writeErr(formatNixError(text));
      redraw();
    },
    done: () => progress.done(),
  };
}

/** Nix's "last N log lines" for a failure whose log was not shown. */
function logTailText(logTail: string): string {
  const lines = logTail.replace(/\n$/, "").split("\n").slice(-LOG_LINES);
  if (logTail === "") return "";
  return `;\nlast ${lines.length} log lines:\n${lines.map((line) => `> ${line}`).join("\n")}`;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseBuildArgs(argv);
  if (!args) return 0;
  const store = await openStoreFromArgs(args.store);
  let builder: BuildService | undefined;
  try {
    builder = args.dryRun ? undefined : await openBuildService(args.builder ?? process.env.TVIX_BUILDER ?? "oci://", store);
    return await build(args, store, builder);
  } finally {
    await builder?.close();
    await store.close();
  }
}

async function build(args: BuildArgs, store: Store, builder: BuildService | undefined): Promise<number> {
  const dir = storeDir();
  const awaitedByEvaluation = new Set<string>();
  const evaluationFailures = new Map<string, string>();
  const show = reporter(args, awaitedByEvaluation, evaluationFailures);
  const noBuilder: BuildService = { doBuild: () => Promise.reject(new Error("no builds in a dry run")), close: async () => {} };
  // The glue reads the derivations the driver was given rather than the store.
  const glue = storeBuildGlue(store, { storeDir: dir, buildCores: args.cores, readDerivation: (drvPath) => driver.derivation(drvPath) });
  const driver = new BuildDriver(
    { store, builder: builder ?? noBuilder, glue, reporter: show },
    { maxJobs: args.maxJobs, keepGoing: args.keepGoing, dryRun: args.dryRun, speculate: !args.dryRun, storeDir: dir, timeoutSeconds: args.timeoutSeconds, maxSilentSeconds: args.maxSilentSeconds },
  );
  // Import from derivation: the evaluation waits while a store path it reads is built (when a
  // derivation it instantiated has it as output) and rendered on local disk.
  const realise = async (storePath: string, drvPath: string | undefined): Promise<RealiseReply> => {
    if (drvPath !== undefined) {
      awaitedByEvaluation.add(drvPath);
      try {
        await driver.realise(drvPath);
      } catch (err) {
        if (!(err instanceof BuildError)) throw err;
        return { error: evaluationFailures.get(drvPath) ?? err.message };
      } finally {
        awaitedByEvaluation.delete(drvPath);
      }
    } else await driver.written();
    if ((await store.pathInfos.get(parseStorePath(storePath, dir).digest)) === undefined) return { absent: true };
    return { path: await realiseOnDisk(store, storePath, dir, realisedDir(args)) };
  };
  const result = await evaluateInWorker(args.request, (message) => {
    if (isPendingMessage(message)) driver.pendingPath(...pendingFromMessage(message));
    else if (isRealiseRequest(message)) answerRealise(message, realise);
  });
  const stderr = result.stderr.startsWith(GC_WARNING) ? result.stderr.slice(GC_WARNING.length) : result.stderr;
  const wanted = result.exitCode === 0 ? wantedOutputs(result.stdout) : [];
  if (result.exitCode === 0) driver.evaluationFinished(wanted);
  else driver.evaluationFailed(stderr);
  let outcome: Outcome;
  try {
    outcome = await driver.outcome;
  } catch (err) {
    // What evaluation added cannot be stored or built at all: Nix's plain error.
    if (!(err instanceof WritePendingError || err instanceof BuildRequestError)) throw err;
    writeErr(formatNixError(err.message));
    return 1;
  } finally {
    show.done();
  }
  if (result.exitCode !== 0) {
    writeErr(stderr);
    // A build the evaluation waited for failed: nix-build exits as for failed builds.
    return outcome.failed.length > 0 ? buildExitCode(outcome) : result.exitCode;
  }
  if (args.dryRun) {
    printWouldBuild(outcome.wouldBuild);
    return 0;
  }
  if (!outcome.success) return reportFailure(outcome, wanted);
  const outPaths: string[] = [];
  const prefixes = new Map<string, string>();
  for (const { drvPath, outputs } of wanted) {
    const drv = driver.derivation(drvPath)!;
    if (!prefixes.has(drvPath)) prefixes.set(drvPath, prefixes.size === 0 ? (args.outLink ?? "") : `${args.outLink ?? ""}-${prefixes.size + 1}`);
    for (const output of outputs) {
      const outPath = (drv.outputs.get(output) as { path?: string } | undefined)?.path;
      if (outPath === undefined) throw new UsageError(`derivation '${drvPath}' does not have an output named '${output}'`);
      if (args.outLink !== undefined) {
        const onDisk = await realiseOnDisk(store, outPath, dir, realisedDir(args));
        await replaceSymlink(onDisk, resolve(`${prefixes.get(drvPath)}${output === "out" ? "" : `-${output}`}`));
      }
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
