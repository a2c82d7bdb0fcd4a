// Entry point of `tvix repl`'s evaluation worker (started by remote-session.ts): one
// ReplSession for the life of the worker, fed inputs and completion requests by the main
// thread, its output posted back as it is written. Like the eval worker, it turns on Node's
// compile cache before loading the evaluator.
import { enableCompileCache } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import type { EvalSetup, EvalWorld } from "../instantiate.ts";
import type { FromWorker, ReplSetup, ToWorker } from "./protocol.ts";

enableCompileCache();
const { createEvalState, evalAutoArgs } = await import("../instantiate.ts");
const { ReplSession } = await import("./session.ts");
const { utf8ToBytes } = await import("../../nix-compat/byte-string.ts");

const setup = workerData as ReplSetup;
const port = parentPort as NonNullable<typeof parentPort>;
const send = (message: FromWorker): void => port.postMessage(message);

/** A replacement worker's start and replay have been shown by the worker it replaces. */
let silent = setup.replay !== undefined;
const output = {
  stdout: (text: string) => silent || send({ type: "output", fd: 1, text }),
  stderr: (text: string) => silent || send({ type: "output", fd: 2, text }),
};

const world = setup.world ? ((await import(setup.world)) as { createEvalWorld(s: EvalSetup): EvalWorld }).createEvalWorld(setup) : undefined;
const state = createEvalState(setup, world, (line) => output.stderr(`${line}\n`));
const session = new ReplSession(
  state,
  { cwd: utf8ToBytes(setup.cwd), autoArgs: evalAutoArgs(state, setup), colors: setup.colors, showTrace: setup.showTrace },
  output,
);

const ok = session.start(setup.files.map(utf8ToBytes));
for (const text of setup.replay ?? []) session.processInput(text);
silent = false;
send({ type: "started", ok });

port.on("message", (message: ToWorker) => {
  if (message.type === "input") {
    const before = session.scopeVersion;
    const outcome = session.processInput(message.text);
    send({ type: "outcome", outcome, changedScope: session.scopeVersion !== before, showTrace: session.showTrace });
  } else {
    send({ type: "completion", completion: session.complete(message.prefix) });
  }
});
