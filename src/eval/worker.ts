// Entry point of the evaluation worker thread (see run-in-worker.ts): evaluates the request
// it was started with and posts the result back.
import { parentPort, workerData } from "node:worker_threads";
import { type EvalRequest, type EvalResult, instantiateEval } from "./instantiate.ts";

let result: EvalResult;
try {
  result = instantiateEval(workerData as EvalRequest);
} catch (err) {
  const e = err as Error;
  result = { stdout: "", stderr: `error: internal error: ${e?.message ?? String(err)}\n${process.env.TVIX_DEBUG ? `${e?.stack}\n` : ""}`, exitCode: 1 };
}
parentPort?.postMessage(result);
