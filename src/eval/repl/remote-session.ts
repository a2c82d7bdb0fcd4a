// The main thread's side of `tvix repl`'s session: the evaluation worker (worker.ts) with its
// big stack, asked to handle inputs and complete words, answers coming back in order. An
// evaluation cannot be stopped from outside, so an interrupt (Ctrl-C) replaces the worker:
// the new one silently runs again the inputs that made the old one's scope (bindings, :a,
// :l, :r), and the session goes on as if only the interrupted input had failed. A worker that
// dies (out of memory) is replaced the same way, and so is one after `:st`, because the
// evaluator records the frames of error traces only when made to.
import { Worker } from "node:worker_threads";
import { resourceExhaustion } from "../resource-exhaustion.ts";
import { STACK_SIZE_MB } from "../run-in-worker.ts";
import type { Completion } from "./completion.ts";
import type { FromWorker, ReplSetup, ToWorker } from "./protocol.ts";
import type { InputOutcome } from "./session.ts";

type Pending = { kind: "input"; text: string; resolve: (outcome: InputOutcome) => void } | { kind: "complete"; resolve: (completion: Completion) => void };

const NO_COMPLETION: Completion = { word: "", completions: [] };

export class RemoteReplSession {
  private readonly setup: ReplSetup;
  /** Writes a worker's output (a binary string) to stdout (1) or stderr (2). */
  private readonly write: (fd: 1 | 2, text: string) => void;
  private worker: Worker;
  /** Requests sent to the current worker and not answered yet, oldest first. */
  private readonly pending: Pending[] = [];
  /** The inputs that changed the scope, for a replacement worker to run again. */
  private readonly scopeInputs: string[] = [];
  private closing = false;
  /** Resolves when the first worker has loaded the start-up files: false if that failed (the error is written). */
  readonly ready: Promise<boolean>;

  constructor(setup: ReplSetup, write: (fd: 1 | 2, text: string) => void) {
    this.setup = setup;
    this.write = write;
    let started!: (ok: boolean) => void;
    this.ready = new Promise((resolve) => (started = resolve));
    this.worker = this.spawn(undefined, started);
  }

  /** Handles one input (a binary string of whole lines); "incomplete" asks for another line. */
  input(text: string): Promise<InputOutcome> {
    return new Promise((resolve) => this.send({ type: "input", text }, { kind: "input", text, resolve }));
  }

  complete(prefix: string): Promise<Completion> {
    return new Promise((resolve) => this.send({ type: "complete", prefix }, { kind: "complete", resolve }));
  }

  /** Stops the input being evaluated, if any (Nix's "interrupted by the user"). */
  interrupt(): void {
    if (this.pending.some((p) => p.kind === "input")) this.replaceWorker("error: interrupted by the user\n");
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  private send(message: ToWorker, pending: Pending): void {
    this.pending.push(pending);
    this.worker.postMessage(message);
  }

  private spawn(replay: string[] | undefined, started?: (ok: boolean) => void): Worker {
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      workerData: { ...this.setup, replay } satisfies ReplSetup,
      resourceLimits: { stackSizeMb: STACK_SIZE_MB },
    });
    let failure: Error | undefined;
    let starting = started;
    worker.on("message", (message: FromWorker) => {
      // What a replaced worker still had in flight belongs to the input that was given up.
      if (worker !== this.worker) return;
      if (message.type === "output") this.write(message.fd, message.text);
      else if (message.type === "started") {
        starting?.(message.ok);
        starting = undefined;
      } else if (message.type === "outcome") {
        const pending = this.pending.shift() as Pending & { kind: "input" };
        if (message.changedScope) this.scopeInputs.push(pending.text);
        pending.resolve(message.outcome);
        if (message.showTrace !== this.setup.showTrace) {
          this.setup.showTrace = message.showTrace;
          this.replaceWorker();
        }
      } else {
        (this.pending.shift() as Pending & { kind: "complete" }).resolve(message.completion);
      }
    });
    worker.on("error", (err) => (failure = err));
    worker.on("exit", (code) => {
      if (worker !== this.worker || this.closing) return;
      // Reaching the heap limit ends a worker; Nix would have run out of memory too.
      const why = `error: ${resourceExhaustion(failure) ?? `the evaluation worker stopped (${failure?.message ?? `exit code ${code}`})`}\n`;
      if (starting) {
        // It died before the session began: there is nothing to go on with.
        this.write(2, why);
        starting(false);
      } else {
        this.replaceWorker(why);
      }
    });
    return worker;
  }

  /** Gives up the current worker and what it was doing (failed for the reason `why`); a new one takes over the session. */
  private replaceWorker(why?: string): void {
    const old = this.worker;
    this.worker = this.spawn([...this.scopeInputs]);
    void old.terminate();
    if (why !== undefined) this.write(2, why);
    for (const pending of this.pending.splice(0)) {
      if (pending.kind === "input") {
        // As after any failed input: a blank line, then the prompt.
        this.write(1, "\n");
        pending.resolve("done");
      } else {
        pending.resolve(NO_COMPLETION);
      }
    }
  }
}
