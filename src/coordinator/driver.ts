// Drives the coordinator's state machine with real services: what the evaluation adds is
// written into the store as it arrives and its derivations are handed to the machine; the
// machine's actions become store lookups and builds; their results go back in as events. All
// I/O of a `tvix build` run is here, and all decisions are the machine's.
import { CastoreError } from "../castore/errors.ts";
import { BuildError, type BuildOutput, type BuildService } from "../build/build-service.ts";
import { outputPathInfos } from "../glue/build-outputs.ts";
import { BuildRequestError, type BuildRequestOptions, buildRequestFor, outputPaths, readDerivationFromStore } from "../glue/build-request.ts";
import type { PendingPath } from "../glue/pending-store.ts";
import { writePendingPath } from "../glue/write-pending.ts";
import type { Derivation } from "../nix-compat/derivation/derivation.ts";
import { parseStorePath } from "../nix-compat/store-path.ts";
import type { BuildRequest } from "../proto/gen/tvix/build/v1/build_pb.js";
import type { Store } from "../store/composition.ts";
import { type BuildFailure, type CoordinatorAction, type CoordinatorEvent, CoordinatorMachine, type CoordinatorOptions, type Outcome, type WantedOutputs } from "./state-machine.ts";

/** The derivation-specific steps around a build, from the glue (src/glue/build-request.ts, build-outputs.ts). */
export interface BuildGlue {
  /** The request for a derivation whose inputs (derivation outputs and sources) are in the store. */
  buildRequest(drvPath: string, drv: Derivation): Promise<BuildRequest>;
  /** Checks the outputs and puts their PathInfos into the store; throws if they are not right (a fixed output's hash). */
  storeOutputs(drvPath: string, drv: Derivation, request: BuildRequest, outputs: BuildOutput[]): Promise<void>;
}

/** What happens, for a front end to show. */
export interface DriverReporter {
  buildStarted?(drvPath: string): void;
  buildLog?(drvPath: string, chunk: Uint8Array): void;
  /** `logTail` is the last lines of the build's log when it failed. */
  buildFinished?(drvPath: string, failure?: BuildFailure & { logTail: string }): void;
}

export interface DriverOptions extends CoordinatorOptions {
  storeDir: string;
  /** Nix's --timeout and --max-silent-time, in seconds (0 or absent: none). */
  timeoutSeconds?: number;
  maxSilentSeconds?: number;
}

export interface DriverServices {
  store: Store;
  builder: BuildService;
  glue: BuildGlue;
  reporter?: DriverReporter;
}

/**
 * One run: feed it what the evaluation produces (`pendingPath`, then `evaluationFinished` or
 * `evaluationFailed`), ask for realisations while evaluation runs (`realise`), and await
 * `outcome`. A store that fails (not a build) ends the run: `outcome` rejects with its error,
 * and running builds are aborted.
 */
export class BuildDriver {
  readonly outcome: Promise<Outcome>;
  private readonly services: DriverServices;
  private readonly options: DriverOptions;
  private readonly machine: CoordinatorMachine;
  private readonly derivations = new Map<string, Derivation>();
  private readonly realisations = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private readonly abort = new AbortController();
  private nextRequestId = 1;
  /** Writes of pending paths, one after another in the evaluation's order (inputs first). */
  private writing: Promise<void> = Promise.resolve();
  private resolveOutcome!: (outcome: Outcome) => void;
  private rejectOutcome!: (err: unknown) => void;
  private fatal = false;

  constructor(services: DriverServices, options: DriverOptions) {
    this.services = services;
    this.options = options;
    this.machine = new CoordinatorMachine(options);
    this.outcome = new Promise((resolve, reject) => {
      this.resolveOutcome = resolve;
      this.rejectOutcome = reject;
    });
    // The run may fail while evaluation still goes on, before anyone awaits the outcome: mark
    // the rejection handled so Node does not end the process; awaiting it still throws.
    this.outcome.catch(() => {});
  }

  /**
   * A store path the evaluation added. It is written into the store (not in a dry run); a
   * derivation goes to the machine once written, when its sources, written before it, are there too.
   */
  pendingPath(storePath: string, entry: PendingPath): void {
    this.writing = this.writing.then(async () => {
      if (this.fatal) return;
      if (!this.options.dryRun) await writePendingPath(this.services.store, storePath, entry, this.options.storeDir);
      if (entry.kind === "derivation") this.derivationKnown(storePath, entry.drv);
    });
    this.writing.catch((err: unknown) => this.fail(err));
  }

  /** The evaluation's result: the outputs wanted (after every path it added is written). */
  evaluationFinished(wanted: WantedOutputs[]): void {
    this.afterWrites({ type: "evaluationFinished", wanted });
  }

  /** The evaluation failed: its builds are no longer wanted, so running ones are aborted. */
  evaluationFailed(message: string): void {
    this.afterWrites({ type: "evaluationFailed", message });
    this.writing.then(() => this.abort.abort(new Error(message)), () => {});
  }

  /** Dispatches `event` once the paths added before it are written (a failed write has ended the run). */
  private afterWrites(event: CoordinatorEvent): void {
    this.writing.then(
      () => this.dispatch(event),
      () => {},
    );
  }

  /** Resolves once every path given so far is written into the store (a failed write ends the run instead). */
  written(): Promise<void> {
    return this.writing;
  }

  /** Import from derivation: resolves when the derivation's outputs are in the store. */
  realise(drvPath: string): Promise<void> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      this.realisations.set(requestId, { resolve, reject });
      this.afterWrites({ type: "realiseRequested", requestId, drvPath });
    });
  }

  /** The derivation as given to the machine (for the front end: output paths of what was wanted). */
  derivation(drvPath: string): Derivation | undefined {
    return this.derivations.get(drvPath);
  }

  private derivationKnown(drvPath: string, drv: Derivation): void {
    this.dispatch(this.known(drvPath, drv));
  }

  private known(drvPath: string, drv: Derivation): CoordinatorEvent {
    this.derivations.set(drvPath, drv);
    return { type: "derivationKnown", drvPath, outputs: Object.fromEntries(outputPaths(drvPath, drv)), inputDrvs: Object.fromEntries(drv.inputDrvs) };
  }

  private dispatch(event: CoordinatorEvent): void {
    // A late answer (a load overtaken by the evaluator's own copy) after the end changes nothing.
    if (this.fatal || this.machine.finished) return;
    let actions: CoordinatorAction[];
    try {
      actions = this.machine.handle(event);
    } catch (err) {
      this.fail(err);
      return;
    }
    for (const action of actions) this.perform(action);
  }

  private perform(action: CoordinatorAction): void {
    switch (action.type) {
      case "queryStore":
        this.reply(async () => ({ type: "outputsPresence", drvPath: action.drvPath, present: await this.present(action.outputPaths) }));
        return;
      case "loadDerivation":
        this.reply(() => this.load(action.drvPath));
        return;
      case "startBuild":
        this.reply(() => this.build(action.drvPath));
        return;
      case "realiseDone": {
        const waiter = this.realisations.get(action.requestId)!;
        this.realisations.delete(action.requestId);
        if (action.ok) waiter.resolve();
        else waiter.reject(new BuildError(action.message ?? "the build failed"));
        return;
      }
      case "finished":
        this.resolveOutcome(action.outcome);
        return;
    }
  }

  /** Runs `work` (always after this turn, so the machine is never re-entered) and feeds its event back; a throw is fatal. */
  private reply(work: () => Promise<CoordinatorEvent>): void {
    void Promise.resolve()
      .then(work)
      .then(
        (event) => this.dispatch(event),
        (err: unknown) => this.fail(err),
      );
  }

  private fail(err: unknown): void {
    if (this.fatal) return;
    this.fatal = true;
    this.abort.abort(err);
    for (const waiter of this.realisations.values()) waiter.reject(err as Error);
    this.realisations.clear();
    this.rejectOutcome(err);
  }

  private async present(outputPaths: string[]): Promise<boolean> {
    const infos = await Promise.all(outputPaths.map((path) => this.services.store.pathInfos.get(parseStorePath(path, this.options.storeDir).digest)));
    return infos.every((info) => info !== undefined);
  }

  /** A derivation the evaluator did not send, read from the store. */
  private async load(drvPath: string): Promise<CoordinatorEvent> {
    let drv: Derivation;
    try {
      drv = await readDerivationFromStore(this.services.store, drvPath, this.options.storeDir);
    } catch (err) {
      if (err instanceof BuildRequestError) return { type: "derivationUnavailable", drvPath, message: err.message };
      throw err;
    }
    return this.known(drvPath, drv);
  }

  private async build(drvPath: string): Promise<CoordinatorEvent> {
    const { builder, glue, reporter } = this.services;
    const drv = this.derivations.get(drvPath)!;
    reporter?.buildStarted?.(drvPath);
    try {
      const request = await glue.buildRequest(drvPath, drv);
      const outputs = await builder.doBuild(request, {
        signal: this.abort.signal,
        onLog: reporter?.buildLog ? (chunk) => reporter.buildLog!(drvPath, chunk) : undefined,
        timeoutSeconds: this.options.timeoutSeconds,
        maxSilentSeconds: this.options.maxSilentSeconds,
      });
      await glue.storeOutputs(drvPath, drv, request, outputs);
    } catch (err) {
      // A store that fails is everyone's problem; anything else fails this build only.
      if (this.fatal || (err instanceof CastoreError && err.code === "unavailable")) throw err;
      const failure = buildFailure(drvPath, drv, err);
      // A build aborted because evaluation failed is not news.
      if (!this.abort.signal.aborted) reporter?.buildFinished?.(drvPath, { ...failure, logTail: err instanceof BuildError ? err.logTail : "" });
      return { type: "buildFailed", drvPath, failure };
    }
    reporter?.buildFinished?.(drvPath);
    return { type: "buildSucceeded", drvPath };
  }
}

/** Failure kinds a builder or the glue may put on an error as `kind` (see BuildFailure). */
const FAILURE_KINDS = new Set<BuildFailure["kind"]>(["failed", "transient", "timedOut", "hashMismatch"]);

/**
 * A failed build in Nix 2.8's words and with its kind: the builder's "build failed with exit
 * code 3" becomes "builder for '…' failed with exit code 3", a timeout "building of '…' timed
 * out after …"; a fixed-output derivation's failure is transient (Nix exits 1, not 100).
 */
export function buildFailure(drvPath: string, drv: Derivation, err: unknown): BuildFailure {
  const e = err as { message?: string; kind?: unknown };
  let message = String(e?.message ?? err);
  let kind: BuildFailure["kind"] = FAILURE_KINDS.has(e?.kind as BuildFailure["kind"]) ? (e.kind as BuildFailure["kind"]) : "failed";
  const builderSaid = /^builds? failed (.*)$|^builder failed (.*)$/s.exec(message);
  const timedOut = /^build timed out (.*)$/s.exec(message);
  if (timedOut) {
    message = `building of '${drvPath}' timed out ${timedOut[1]}`;
    kind = "timedOut";
  } else if (builderSaid) message = `builder for '${drvPath}' failed ${builderSaid[1] ?? builderSaid[2]}`;
  else if (message.startsWith("hash mismatch in fixed-output derivation")) kind = "hashMismatch";
  else if (!message.includes(drvPath)) message = `builder for '${drvPath}' failed: ${message}`;
  if (kind === "failed" && drv.outputs.get("out")?.kind === "fixed") kind = "transient";
  return { message, kind };
}

/** The glue of src/glue for a store: requests from derivations, outputs checked and their PathInfos put. */
export function storeBuildGlue(store: Store, options: BuildRequestOptions): BuildGlue {
  return {
    buildRequest: (drvPath, drv) => buildRequestFor(drvPath, drv, store, options),
    async storeOutputs(drvPath, drv, request, outputs) {
      const infos = await outputPathInfos(drvPath, drv, request, outputs, store, options.storeDir);
      for (const info of infos) await store.pathInfos.put(info);
    },
  };
}
