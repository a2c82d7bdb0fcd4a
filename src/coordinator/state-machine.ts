// The coordinator's core: which derivations to ask the store about, which to build and when,
// and what the outcome is. Events in, actions out, nothing else: no I/O, no clock, no promises,
// only plain (JSON-able) data, so the same machine serves `tvix build`, tests, and a CI system
// or build farm that feeds it events from elsewhere.
//
// Rules (those of Nix's worker, unless said):
// - A derivation is *needed* when it is wanted (a top-level of the evaluation or an
//   import-from-derivation request), or when it is an input of a needed derivation whose outputs
//   are missing. A derivation whose outputs are present needs nothing below it.
// - While evaluation runs, with `speculate`, every derivation that arrives is treated as if it
//   were needed: it is queried and built when its inputs are there, because derivations that an
//   evaluation instantiates are nearly always in its result's closure, and building them while
//   evaluation goes on is the point of streaming. Once evaluation has finished, only needed
//   derivations start; a failure counts only if the failed derivation is needed.
// - A derivation is built when its outputs are missing and every input derivation's outputs
//   exist (present in the store, or built here). Derivations may arrive in any order: one whose
//   inputs are not known yet waits for them.
// - At most `maxJobs` builds run at once. The machine enforces it, not the driver, because it
//   holds the queue of ready builds and so chooses what runs next (needed ones before
//   speculative ones); a driver or CI system then runs every StartBuild it is given.
// - A failed build fails everything that depends on it (those are *skipped*). Without
//   `keepGoing`, the first failure of a needed derivation stops new builds; running builds
//   finish (as in Nix). With `keepGoing`, everything not depending on a failure is built.
// - Outputs are tracked per derivation, all outputs together: a build produces all of them.

/** A derivation as the coordinator needs it. */
export interface DerivationKnown {
  type: "derivationKnown";
  drvPath: string;
  /** Output name → absolute output path. */
  outputs: Record<string, string>;
  /** Input derivation path → the names of the outputs used. */
  inputDrvs: Record<string, string[]>;
}

export type CoordinatorEvent =
  | DerivationKnown
  /** A needed derivation could not be read (it was asked for with LoadDerivation). */
  | { type: "derivationUnavailable"; drvPath: string; message: string }
  /** The evaluation's result: the derivations to realise (nix-build builds one output of each, the outputs listed here). */
  | { type: "evaluationFinished"; wanted: WantedOutputs[] }
  | { type: "evaluationFailed"; message: string }
  /** The answer to a QueryStore: whether all outputs of the derivation are in the store. */
  | { type: "outputsPresence"; drvPath: string; present: boolean }
  | { type: "buildSucceeded"; drvPath: string }
  | { type: "buildFailed"; drvPath: string; failure: BuildFailure }
  /** Import from derivation: the evaluator waits for these outputs (answered by RealiseDone). */
  | { type: "realiseRequested"; requestId: number; drvPath: string };

export interface WantedOutputs {
  drvPath: string;
  outputs: string[];
}

/** Why a build failed; `kind` decides Nix's exit code (see exitCode in ../cli/build.ts). */
export interface BuildFailure {
  message: string;
  kind: "failed" | "transient" | "timedOut" | "hashMismatch";
}

export type CoordinatorAction =
  /** Ask the store whether these outputs exist; answer with OutputsPresence. */
  | { type: "queryStore"; drvPath: string; outputPaths: string[] }
  /** A needed derivation never arrived from the evaluator: read it (from the store); answer with DerivationKnown or DerivationUnavailable. */
  | { type: "loadDerivation"; drvPath: string }
  /** Build it (its inputs' outputs are all in the store); answer with BuildSucceeded or BuildFailed. */
  | { type: "startBuild"; drvPath: string }
  /** The outcome of a RealiseRequested; `message` says why not when `ok` is false. */
  | { type: "realiseDone"; requestId: number; ok: boolean; message?: string }
  /** Emitted once, last: nothing more will be asked for. */
  | { type: "finished"; outcome: Outcome };

export interface Outcome {
  success: boolean;
  evaluationError?: string;
  /** Needed derivations whose build failed (or that could not be read), in the order they failed. */
  failed: { drvPath: string; failure: BuildFailure }[];
  /** Needed derivations not built because inputs failed; `failedInputs` are those direct inputs. */
  skipped: { drvPath: string; failedInputs: string[] }[];
  /** Needed derivations left unbuilt because the build stopped at a failure (no keepGoing). */
  notStarted: string[];
  /** With dryRun: the needed derivations that would be built, inputs before what uses them. */
  wouldBuild: string[];
  /** Derivations built by this run, in the order they finished. */
  built: string[];
}

export interface CoordinatorOptions {
  /** The most builds running at once (-j); at least 1. */
  maxJobs: number;
  keepGoing: boolean;
  /** Build derivations as they arrive, before evaluation says what is wanted. */
  speculate: boolean;
  /** Only find out what would be built: query, never build. */
  dryRun: boolean;
}

type Presence = "unknown" | "querying" | "present" | "missing";
type BuildState = "none" | "ready" | "running" | "succeeded" | "failed" | "skipped";

interface DrvState {
  drvPath: string;
  known?: { outputs: string[]; inputs: string[] };
  presence: Presence;
  build: BuildState;
  needed: boolean;
  loading: boolean;
  failure?: BuildFailure;
}

export class CoordinatorMachine {
  private readonly options: CoordinatorOptions;
  private readonly drvs = new Map<string, DrvState>();
  /** Input derivation → the known derivations using it (the input need not be known). */
  private readonly dependents = new Map<string, string[]>();
  /** Derivations whose build may start, in the order they became ready. */
  private readonly ready = new Set<string>();
  private readonly realiseRequests = new Map<number, string>();
  private evaluation: "running" | "finished" | "failed" = "running";
  private evaluationError?: string;
  private wanted: WantedOutputs[] = [];
  private stopping = false;
  private running = 0;
  private pendingReplies = 0;
  private done = false;
  private readonly failed: string[] = [];
  private readonly built: string[] = [];
  private actions: CoordinatorAction[] = [];

  constructor(options: CoordinatorOptions) {
    if (!Number.isInteger(options.maxJobs) || options.maxJobs < 1) throw new RangeError(`maxJobs must be a positive integer, not ${options.maxJobs}`);
    this.options = options;
  }

  get finished(): boolean {
    return this.done;
  }

  /** Takes one event; returns what to do next. Events after Finished are an error. */
  handle(event: CoordinatorEvent): CoordinatorAction[] {
    if (this.done) throw new Error(`coordinator: event '${event.type}' after the end`);
    this.actions = [];
    switch (event.type) {
      case "derivationKnown":
        this.onDerivation(event);
        break;
      case "derivationUnavailable":
        this.onUnavailable(event.drvPath, event.message);
        break;
      case "evaluationFinished":
        this.onEvaluationFinished(event.wanted);
        break;
      case "evaluationFailed":
        this.evaluation = "failed";
        this.evaluationError = event.message;
        this.stopping = true;
        break;
      case "outputsPresence":
        this.onPresence(event.drvPath, event.present);
        break;
      case "buildSucceeded":
        this.onBuildDone(event.drvPath);
        break;
      case "buildFailed":
        this.onBuildFailed(event.drvPath, event.failure);
        break;
      case "realiseRequested":
        this.realiseRequests.set(event.requestId, event.drvPath);
        this.markNeeded(event.drvPath);
        break;
    }
    // Answers first: the evaluator waiting for one goes on sooner.
    this.answerRealiseRequests();
    this.startBuilds();
    this.finishIfDone();
    return this.actions;
  }

  private state(drvPath: string): DrvState {
    let state = this.drvs.get(drvPath);
    if (state === undefined) {
      state = { drvPath, presence: "unknown", build: "none", needed: false, loading: false };
      this.drvs.set(drvPath, state);
    }
    return state;
  }

  /** Whether the machine acts on this derivation now: it is needed, or may be and we speculate. */
  private active(state: DrvState): boolean {
    return state.needed || (this.options.speculate && this.evaluation === "running");
  }

  private emit(action: CoordinatorAction): void {
    if (action.type === "queryStore" || action.type === "loadDerivation" || action.type === "startBuild") this.pendingReplies++;
    this.actions.push(action);
  }

  private onDerivation(event: DerivationKnown): void {
    const state = this.state(event.drvPath);
    if (state.loading) {
      state.loading = false;
      this.pendingReplies--;
    }
    if (state.known) return;
    const inputs = Object.keys(event.inputDrvs);
    state.known = { outputs: Object.values(event.outputs), inputs };
    for (const input of inputs) {
      const users = this.dependents.get(input);
      if (users) users.push(event.drvPath);
      else this.dependents.set(input, [event.drvPath]);
    }
    this.query(state);
  }

  private onUnavailable(drvPath: string, message: string): void {
    const state = this.state(drvPath);
    if (!state.loading) return;
    state.loading = false;
    this.pendingReplies--;
    this.fail(state, { message, kind: "failed" });
  }

  private query(state: DrvState): void {
    if (state.known && state.presence === "unknown" && this.active(state)) {
      state.presence = "querying";
      this.emit({ type: "queryStore", drvPath: state.drvPath, outputPaths: state.known.outputs });
    }
  }

  private onPresence(drvPath: string, present: boolean): void {
    const state = this.drvs.get(drvPath);
    if (state?.presence !== "querying") throw new Error(`coordinator: presence of '${drvPath}', which was not queried`);
    this.pendingReplies--;
    state.presence = present ? "present" : "missing";
    if (present) this.propagate(state);
    else this.missing(state);
  }

  /** Outputs missing: a needed derivation needs its inputs; it may be ready to build. */
  private missing(state: DrvState): void {
    if (state.needed) for (const input of state.known!.inputs) this.markNeeded(input);
    this.recheck(state);
  }

  /** Marks a derivation needed, and what it needs (a worklist: dependency chains can be longer than the call stack is deep). */
  private markNeeded(root: string): void {
    const todo = [root];
    for (let drvPath; (drvPath = todo.pop()) !== undefined; ) {
      const state = this.state(drvPath);
      if (state.needed) continue;
      state.needed = true;
      if (state.build === "failed" || state.build === "skipped") this.neededFailure();
      if (!state.known) this.load(state);
      else if (state.presence === "unknown") this.query(state);
      else if (state.presence === "missing" && state.build !== "succeeded") {
        todo.push(...state.known.inputs);
        this.recheck(state);
      }
    }
  }

  /**
   * A needed derivation that did not arrive is read from elsewhere once the evaluator can no
   * longer send it: it has ended, or it waits for a realisation (it posts derivations as it makes
   * them, so one it has not posted by then it read from an existing .drv file).
   */
  private load(state: DrvState): void {
    const evaluatorIdle = this.evaluation !== "running" || this.realiseRequests.size > 0;
    if (!state.known && state.needed && !state.loading && evaluatorIdle && state.build !== "failed") {
      state.loading = true;
      this.emit({ type: "loadDerivation", drvPath: state.drvPath });
    }
  }

  private onEvaluationFinished(wanted: WantedOutputs[]): void {
    if (this.evaluation !== "running") throw new Error("coordinator: evaluation finished twice");
    this.evaluation = "finished";
    this.wanted = wanted;
    for (const { drvPath } of wanted) this.markNeeded(drvPath);
    // Speculative derivations not needed after all are no longer started.
    for (const drvPath of this.ready) if (!this.drvs.get(drvPath)!.needed) this.unready(this.drvs.get(drvPath)!);
    for (const state of this.drvs.values()) this.load(state);
  }

  private unready(state: DrvState): void {
    this.ready.delete(state.drvPath);
    state.build = "none";
  }

  /** Re-examines a derivation (see checkInputs), and if that skipped it, what depends on it. */
  private recheck(state: DrvState): void {
    if (this.checkInputs(state)) this.propagate(state);
  }

  /**
   * Re-examines a derivation whose outputs are missing: ready when all inputs are there, skipped
   * when one failed (returns true then). Only active derivations go further than "none".
   */
  private checkInputs(state: DrvState): boolean {
    if (state.presence !== "missing" || (state.build !== "none" && state.build !== "ready") || !this.active(state)) return false;
    let failed = false;
    let waiting = false;
    for (const input of state.known!.inputs) {
      const inputState = this.drvs.get(input);
      if (inputState?.build === "failed" || inputState?.build === "skipped") failed = true;
      else if (!(inputState?.presence === "present" || inputState?.build === "succeeded")) waiting = true;
    }
    if (failed) {
      this.ready.delete(state.drvPath);
      state.build = "skipped";
      if (state.needed) this.neededFailure();
      return true;
    }
    if (!waiting && state.build === "none") {
      state.build = "ready";
      this.ready.add(state.drvPath);
    }
    return false;
  }

  /** A derivation's outputs exist now, or it failed or was skipped: its dependents may be ready, or skipped in turn (a worklist, as in markNeeded). */
  private propagate(from: DrvState): void {
    const todo = [from];
    for (let state; (state = todo.pop()) !== undefined; ) {
      for (const user of this.dependents.get(state.drvPath) ?? []) {
        const userState = this.drvs.get(user)!;
        if (this.checkInputs(userState)) todo.push(userState);
      }
    }
  }

  private onBuildDone(drvPath: string): void {
    const state = this.takeRunning(drvPath);
    state.build = "succeeded";
    this.built.push(drvPath);
    this.propagate(state);
  }

  private onBuildFailed(drvPath: string, failure: BuildFailure): void {
    this.fail(this.takeRunning(drvPath), failure);
  }

  private takeRunning(drvPath: string): DrvState {
    const state = this.drvs.get(drvPath);
    if (state?.build !== "running") throw new Error(`coordinator: result of '${drvPath}', which is not being built`);
    this.running--;
    this.pendingReplies--;
    return state;
  }

  private fail(state: DrvState, failure: BuildFailure): void {
    state.build = "failed";
    state.failure = failure;
    this.failed.push(state.drvPath);
    if (state.needed) this.neededFailure();
    this.propagate(state);
  }

  private neededFailure(): void {
    if (!this.options.keepGoing) this.stopping = true;
  }

  private startBuilds(): void {
    if (this.options.dryRun || this.stopping) return;
    while (this.running < this.options.maxJobs && this.ready.size > 0) {
      let next: string | undefined;
      for (const drvPath of this.ready) {
        if (this.drvs.get(drvPath)!.needed) {
          next = drvPath;
          break;
        }
        next ??= drvPath;
      }
      const state = this.drvs.get(next!)!;
      this.ready.delete(state.drvPath);
      state.build = "running";
      this.running++;
      this.emit({ type: "startBuild", drvPath: state.drvPath });
    }
  }

  private answerRealiseRequests(): void {
    for (const [requestId, drvPath] of this.realiseRequests) {
      const state = this.drvs.get(drvPath)!;
      let answer: { ok: boolean; message?: string } | undefined;
      if (state.presence === "present" || state.build === "succeeded") answer = { ok: true };
      else if (state.build === "failed") answer = { ok: false, message: state.failure!.message };
      else if (state.build === "skipped") answer = { ok: false, message: `${this.failedInputs(state).length} dependencies of derivation '${drvPath}' failed to build` };
      else if (this.options.dryRun && state.presence === "missing") answer = { ok: false, message: `cannot build '${drvPath}' during evaluation: this is a dry run` };
      else if (this.stuck(state)) answer = { ok: false, message: `build of '${drvPath}' was not started (the build stopped after a failure)` };
      if (answer) {
        this.realiseRequests.delete(requestId);
        this.actions.push({ type: "realiseDone", requestId, ...answer });
      }
    }
  }

  /** Whether nothing will move this derivation on any more: the build has stopped and nothing it waits for is under way. */
  private stuck(state: DrvState): boolean {
    return this.stopping && this.running === 0 && this.pendingReplies === 0 && state.build !== "running";
  }

  private finishIfDone(): void {
    if (this.evaluation === "running" || this.running > 0 || this.pendingReplies > 0) return;
    if (!this.stopping && !this.options.dryRun && this.ready.size > 0) return;
    this.done = true;
    this.actions.push({ type: "finished", outcome: this.outcome() });
  }

  /** The direct inputs of a skipped derivation that failed or were skipped, as known now. */
  private failedInputs(state: DrvState): string[] {
    return state.known!.inputs.filter((input) => {
      const build = this.drvs.get(input)?.build;
      return build === "failed" || build === "skipped";
    });
  }

  private outcome(): Outcome {
    const needed = [...this.drvs.values()].filter((s) => s.needed);
    const wouldBuild = this.options.dryRun ? this.inputsFirst(needed.filter((s) => s.presence === "missing").map((s) => s.drvPath)) : [];
    const satisfied = (drvPath: string): boolean => {
      const state = this.drvs.get(drvPath)!;
      return state.presence === "present" || state.build === "succeeded" || (this.options.dryRun && state.presence === "missing");
    };
    return {
      success: this.evaluation === "finished" && this.wanted.every((w) => satisfied(w.drvPath)),
      ...(this.evaluationError !== undefined ? { evaluationError: this.evaluationError } : {}),
      failed: this.failed.map((d) => this.drvs.get(d)!).filter((s) => s.needed).map((s) => ({ drvPath: s.drvPath, failure: s.failure! })),
      skipped: needed.filter((s) => s.build === "skipped").map((s) => ({ drvPath: s.drvPath, failedInputs: this.failedInputs(s) })),
      notStarted: this.options.dryRun ? [] : needed.filter((s) => s.presence === "missing" && (s.build === "none" || s.build === "ready")).map((s) => s.drvPath),
      wouldBuild,
      built: [...this.built],
    };
  }

  /** `drvPaths` ordered so that every derivation comes after its inputs among them (ties by path). */
  private inputsFirst(drvPaths: string[]): string[] {
    const among = new Set(drvPaths);
    const order: string[] = [];
    const visited = new Set<string>();
    // Explicit stack: dependency chains can be longer than the call stack is deep.
    for (const root of [...drvPaths].sort()) {
      if (visited.has(root)) continue;
      visited.add(root);
      const frame = (drvPath: string) => ({ drvPath, inputs: [...(this.drvs.get(drvPath)!.known?.inputs ?? [])].sort(), next: 0 });
      const stack = [frame(root)];
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        const input = top.inputs[top.next++];
        if (input === undefined) {
          order.push(top.drvPath);
          stack.pop();
        } else if (among.has(input) && !visited.has(input)) {
          visited.add(input);
          stack.push(frame(input));
        }
      }
    }
    return order;
  }
}
