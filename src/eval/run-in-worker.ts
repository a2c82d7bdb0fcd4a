// Evaluation runs in a worker thread because Nix code recurses deeply (nixpkgs does) and a
// worker's stack size can be chosen (`resourceLimits.stackSizeMb`), unlike the main thread's.
// The stack is only reserved address space; pages are used as the recursion gets there.
import { Worker } from "node:worker_threads";
import type { EvalRequest, EvalResult } from "./instantiate.ts";

/** Large enough for nixpkgs-scale recursion (some 10 million JS frames). */
export const STACK_SIZE_MB = 256;

export function evaluateInWorker(request: EvalRequest): Promise<EvalResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      workerData: request,
      resourceLimits: { stackSizeMb: STACK_SIZE_MB },
    });
    let result: EvalResult | undefined;
    worker.on("message", (message: EvalResult) => (result = message));
    worker.on("error", reject);
    worker.on("exit", (code) => (result ? resolve(result) : reject(new Error(`evaluation worker exited with code ${code}`))));
  });
}
