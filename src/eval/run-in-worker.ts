// Evaluation runs in a worker thread because Nix code recurses deeply (nixpkgs does) and a
// worker's stack size can be chosen (`resourceLimits.stackSizeMb`), unlike the main thread's.
// The stack is only reserved address space; pages are used as the recursion gets there.
import { Worker } from "node:worker_threads";
import type { EvalRequest, EvalResult } from "./instantiate.ts";
import { resourceExhaustion } from "./resource-exhaustion.ts";

/** About four times the recursion depth Nix 2.8 manages with its 64 MB stack. */
export const STACK_SIZE_MB = 256;

/**
 * Evaluates `request` in a worker thread. Messages the worker posts before its result (such as
 * the store paths of src/glue/pending-stream.ts) go to `onMessage`, in the order posted.
 */
export function evaluateInWorker(request: EvalRequest, onMessage?: (message: unknown) => void): Promise<EvalResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      workerData: request,
      resourceLimits: { stackSizeMb: STACK_SIZE_MB },
    });
    let result: EvalResult | undefined;
    worker.on("message", (message: unknown) => {
      if (isEvalResult(message)) result = message;
      else {
        try {
          onMessage?.(message);
        } catch (err) {
          reject(err);
          void worker.terminate();
        }
      }
    });
    // Reaching the heap limit ends the worker; Nix would have run out of memory too.
    worker.on("error", (err) => {
      const exhausted = resourceExhaustion(err);
      if (exhausted) result = { stdout: "", stderr: `error: ${exhausted}\n`, exitCode: 1 };
      else reject(err);
    });
    worker.on("exit", (code) => (result ? resolve(result) : reject(new Error(`evaluation worker exited with code ${code}`))));
  });
}

function isEvalResult(message: unknown): message is EvalResult {
  return typeof message === "object" && message !== null && typeof (message as { exitCode?: unknown }).exitCode === "number";
}
