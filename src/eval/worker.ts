// Entry point of the evaluation worker thread (see run-in-worker.ts): evaluates the request
// it was started with and posts the result back. The evaluator's modules are loaded after
// turning on Node's compile cache, which spares re-compiling (and type-stripping) them on
// every run.
import { enableCompileCache } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import type { EvalRequest, EvalResult, EvalWorld } from "./instantiate.ts";

enableCompileCache();
const { instantiateEval } = await import("./instantiate.ts");

const request = workerData as EvalRequest;
let result: EvalResult;
try {
  const world = request.world ? ((await import(request.world)) as { createEvalWorld(r: EvalRequest): EvalWorld }).createEvalWorld(request) : undefined;
  result = instantiateEval(request, world);
} catch (err) {
  const e = err as Error;
  result = { stdout: "", stderr: `error: internal error: ${e?.message ?? String(err)}\n${process.env.TVIX_DEBUG ? `${e?.stack}\n` : ""}`, exitCode: 1 };
}
parentPort?.postMessage(result);
