// What `tvix build` and `tvix instantiate` share: a store, a build service and the coordinator's
// driver around one evaluation. What the evaluation adds is written into the store through the
// driver, and when it reads an output of a derivation it instantiated (import from derivation)
// the driver builds it and it is rendered on local disk for the evaluation to read — as
// nix-build and nix-instantiate both do. Builds are shown as Nix shows them.
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { openBuildService } from "../build/composition.ts";
import { BuildError, type BuildService } from "../build/build-service.ts";
import { BuildDriver, type DriverReporter, storeBuildGlue } from "../coordinator/driver.ts";
import { realiseOnDisk } from "../coordinator/realised.ts";
import type { Outcome, WantedOutputs } from "../coordinator/state-machine.ts";
import type { EvalRequest } from "../eval/instantiate.ts";
import { evaluateInWorker } from "../eval/run-in-worker.ts";
import { BuildRequestError } from "../glue/build-request.ts";
import { isPendingMessage, pendingFromMessage } from "../glue/pending-stream.ts";
import { type RealiseReply, answerRealise, isRealiseRequest } from "../glue/realise-channel.ts";
import { WritePendingError } from "../glue/write-pending.ts";
import { parseStorePath } from "../nix-compat/store-path.ts";
import type { Store } from "../store/composition.ts";
import { localStoreDirectory } from "../store/local/store.ts";
import { formatNixError } from "./errors.ts";
import { createProgress } from "./progress.ts";
import { defaultStoreUrl, openStoreFromArgs, storeDir } from "./store-options.ts";

export type StoreArgs = { store?: string; "store-composition"?: string };

export interface BuildSessionOptions {
  store: StoreArgs;
  /** The builder URL given (--builder); default $TVIX_BUILDER, else oci://. */
  builder?: string;
  maxJobs: number;
  keepGoing: boolean;
  dryRun: boolean;
  /** Build derivations as they arrive, before the evaluation says which are wanted. */
  speculate: boolean;
  /** Do not show build logs (a failure still shows its last lines). */
  quiet: boolean;
  timeoutSeconds: number;
  maxSilentSeconds: number;
  cores: number | undefined;
}

/** What the evaluation gave and what was built, when neither failed. */
export interface SessionRun {
  stdout: string;
  stderr: string;
  wanted: WantedOutputs[];
  outcome: Outcome;
}

/** Log lines kept for a failed build's message when its log was not shown (Nix's log-lines). */
const LOG_LINES = 10;

/** nix-instantiate's warning about GC roots, which nix-build does not print. */
export const GC_WARNING = "warning: you did not specify '--add-root'; the result might be removed by the garbage collector\n";

export function writeErr(text: string): void {
  process.stderr.write(Buffer.from(text, "latin1"));
}

/** The store URL the arguments name, unless a composition file sets the store up. */
/** The flags every command with a build session takes (--store, --store-composition, --builder); true if `flag` is one. */
export function readSessionFlag(flag: string, take: () => string[], args: { store: StoreArgs; builder?: string }): boolean {
  switch (flag) {
    case "--store":
      args.store.store = take()[0];
      return true;
    case "--store-composition":
      args.store["store-composition"] = take()[0];
      return true;
    case "--builder":
      args.builder = take()[0];
      return true;
    default:
      return false;
  }
}

export function storeUrlOf(store: StoreArgs): string | undefined {
  const composition = store["store-composition"] !== undefined || (store.store === undefined && process.env.TVIX_STORE_COMPOSITION);
  return composition ? undefined : (store.store ?? defaultStoreUrl());
}

/** Where outputs are rendered for the evaluation and links: the local store's `realised/`, else a cache directory. */
export function realisedDir(store: StoreArgs): string {
  const url = storeUrlOf(store);
  if (url?.startsWith("local:")) return join(localStoreDirectory(new URL(url)), "realised");
  const xdgCache = process.env.XDG_CACHE_HOME;
  return join(xdgCache && isAbsolute(xdgCache) ? xdgCache : join(homedir(), ".cache"), "tvix-ts", "realised");
}

/**
 * The builder URL to open: the one given, else $TVIX_BUILDER, else oci://. A builder daemon
 * (grpc+…) without `push-store` is told to push into the coordinator's store when that is a
 * store daemon reached over the network (grpc+http(s)://): the builder reaches the same daemon.
 */
export function builderUrlFor(builder: string | undefined, storeUrl: string | undefined): string {
  const url = builder ?? process.env.TVIX_BUILDER ?? "oci://";
  if (storeUrl === undefined || !/^grpc\+https?:\/\//.test(storeUrl) || !url.startsWith("grpc+")) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url; // openBuildService reports it
  }
  if (parsed.searchParams.has("push-store")) return url;
  parsed.searchParams.set("push-store", storeUrl);
  return parsed.href;
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

/** Nix's "last N log lines" for a failure whose log was not shown. */
function logTailText(logTail: string): string {
  const lines = logTail.replace(/\n$/, "").split("\n").slice(-LOG_LINES);
  if (logTail === "") return "";
  return `;\nlast ${lines.length} log lines:\n${lines.map((line) => `> ${line}`).join("\n")}`;
}

/**
 * One store, build service and driver around one evaluation. `run` opens them, gives the
 * session to `body` and closes them after.
 */
export class BuildSession {
  readonly store: Store;
  readonly driver: BuildDriver;
  private readonly options: BuildSessionOptions;
  private readonly storeDir = storeDir();
  /** Derivations the evaluation waits for (import from derivation). */
  private readonly awaitedByEvaluation = new Set<string>();
  /** Their failures, which become the evaluation's error (Nix prints it once). */
  private readonly evaluationFailures = new Map<string, string>();
  private readonly progress = createProgress("builds done:");

  static async run<T>(options: BuildSessionOptions, body: (session: BuildSession) => Promise<T>): Promise<T> {
    const store = await openStoreFromArgs(options.store);
    let builder: BuildService | undefined;
    try {
      builder = options.dryRun ? undefined : await openBuildService(builderUrlFor(options.builder, storeUrlOf(options.store)), store);
      return await body(new BuildSession(store, builder, options));
    } finally {
      await builder?.close();
      await store.close();
    }
  }

  private constructor(store: Store, builder: BuildService | undefined, options: BuildSessionOptions) {
    this.store = store;
    this.options = options;
    const noBuilder: BuildService = { doBuild: () => Promise.reject(new Error("no builds in a dry run")), close: async () => {} };
    // The glue reads the derivations the driver was given rather than the store.
    const glue = storeBuildGlue(store, { storeDir: this.storeDir, buildCores: options.cores, readDerivation: (drvPath) => this.driver.derivation(drvPath) });
    this.driver = new BuildDriver(
      { store, builder: builder ?? noBuilder, glue, reporter: this.reporter() },
      { maxJobs: options.maxJobs, keepGoing: options.keepGoing, dryRun: options.dryRun, speculate: options.speculate, storeDir: this.storeDir, timeoutSeconds: options.timeoutSeconds, maxSilentSeconds: options.maxSilentSeconds },
    );
  }

  /** Where `storePath`'s contents are on local disk, rendered from the store if needed. */
  onDisk(storePath: string): Promise<string> {
    return realiseOnDisk(this.store, storePath, this.storeDir, realisedDir(this.options.store));
  }

  /**
   * Evaluates `request` in the worker, feeding the driver, then builds the outputs `wantedOf`
   * picks from the evaluation's output. Returns the run, or the exit code of a failure it has
   * already reported (the evaluation's, or a path that cannot be stored or built at all).
   */
  async evaluate(request: EvalRequest, wantedOf: (stdout: string) => WantedOutputs[]): Promise<SessionRun | number> {
    const result = await evaluateInWorker(request, (message) => {
      if (isPendingMessage(message)) this.driver.pendingPath(...pendingFromMessage(message));
      else if (isRealiseRequest(message)) answerRealise(message, (storePath, drvPath) => this.realise(storePath, drvPath));
    });
    const wanted = result.exitCode === 0 ? wantedOf(result.stdout) : [];
    if (result.exitCode === 0) this.driver.evaluationFinished(wanted);
    else this.driver.evaluationFailed(result.stderr);
    let outcome: Outcome;
    try {
      outcome = await this.driver.outcome;
    } catch (err) {
      // What evaluation added cannot be stored or built at all: Nix's plain error.
      if (!(err instanceof WritePendingError || err instanceof BuildRequestError)) throw err;
      writeErr(formatNixError(err.message));
      return 1;
    } finally {
      this.progress.done();
    }
    if (result.exitCode !== 0) {
      writeErr(result.stderr.startsWith(GC_WARNING) ? result.stderr.slice(GC_WARNING.length) : result.stderr);
      // A build the evaluation waited for failed: Nix exits as for failed builds.
      return outcome.failed.length > 0 ? buildExitCode(outcome) : result.exitCode;
    }
    return { stdout: result.stdout, stderr: result.stderr, wanted, outcome };
  }

  /**
   * Import from derivation: the evaluation waits while a store path it reads is built (when a
   * derivation it instantiated has it as output) and rendered on local disk.
   */
  private async realise(storePath: string, drvPath: string | undefined): Promise<RealiseReply> {
    if (drvPath !== undefined) {
      this.awaitedByEvaluation.add(drvPath);
      try {
        await this.driver.realise(drvPath);
      } catch (err) {
        if (!(err instanceof BuildError)) throw err;
        return { error: this.evaluationFailures.get(drvPath) ?? err.message };
      } finally {
        this.awaitedByEvaluation.delete(drvPath);
      }
    } else await this.driver.written();
    if ((await this.store.pathInfos.get(parseStorePath(storePath, this.storeDir).digest)) === undefined) return { absent: true };
    return { path: await this.onDisk(storePath) };
  }

  /**
   * Shows builds as Nix does: "building '…'..." and the live log; on a terminal a progress line
   * instead of the log. The failure of a build the evaluation waits for is not shown here but
   * kept: it becomes the evaluation's error, which Nix prints once.
   */
  private reporter(): DriverReporter {
    const progress = this.progress;
    const live = !this.options.quiet && !process.stderr.isTTY;
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
      buildFinished: (drvPath, failure) => {
        running.delete(drvPath);
        finished++;
        progress.clear();
        const text = failure && `${failure.message}${live ? "" : logTailText(failure.logTail)}`;
        if (text !== undefined && this.awaitedByEvaluation.has(drvPath)) this.evaluationFailures.set(drvPath, text);
        else if (text !== undefined) writeErr(formatNixError(text));
        redraw();
      },
    };
  }
}
