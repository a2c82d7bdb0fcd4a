// Downloading a URL into a file, synchronously, for builtins that run inside an evaluation
// (which cannot await). A worker thread does the transfer while this thread blocks on
// Atomics.wait; like Nix, transient failures are retried with exponential back-off (with a
// warning each time), and a transfer that receives nothing for five minutes is given up.
import { copyFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { EvalError } from "../../eval/errors.ts";
import { bytesToUtf8 } from "../../nix-compat/byte-string.ts";
import type { DownloadOutcome, DownloadRequest } from "./download-worker.ts";

export interface Downloaded {
  etag: string;
  /** The URL after redirects. */
  effectiveUrl: string;
}

/** Nix's defaults: 5 tries, the first retry after about 250 ms. */
const TRIES = 5;
const BASE_RETRY_MS = 250;
const STALL_TIMEOUT_MS = 300_000;

/** Downloads `url` (a byte string) into the file `dest` (a path in JS's own encoding). */
export function downloadToFile(url: string, dest: string, warn: (message: string) => void): Downloaded {
  if (url.startsWith("file://")) return copyLocal(url, dest);
  for (let attempt = 1; ; attempt++) {
    const outcome = transfer(bytesToUtf8(url), dest);
    if (outcome.ok) return { etag: outcome.etag, effectiveUrl: outcome.effectiveUrl };
    const message = `unable to download '${url}': ${outcome.failure}`;
    if (!outcome.transient || attempt >= TRIES) throw new EvalError(message);
    const ms = Math.floor(BASE_RETRY_MS * 2 ** (attempt - 1 + Math.random() * 0.5));
    warn(`error: ${message}; retrying in ${ms} ms`);
    sleep(ms);
  }
}

function copyLocal(url: string, dest: string): Downloaded {
  try {
    copyFileSync(fileURLToPath(bytesToUtf8(url)), dest);
  } catch {
    throw new EvalError(`unable to download '${url}': Couldn't read a file:// file (37)`);
  }
  return { etag: "", effectiveUrl: url };
}

function transfer(url: string, dest: string): DownloadOutcome {
  const signal = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new MessageChannel();
  const request: DownloadRequest = { url, dest, port: port2, signal };
  const worker = new Worker(new URL("./download-worker.ts", import.meta.url), { workerData: request, transferList: [port2] });
  worker.unref();
  let progress = 0;
  while (Atomics.load(signal, 0) === 0) {
    if (Atomics.wait(signal, 0, 0, STALL_TIMEOUT_MS) === "timed-out") {
      const now = Atomics.load(signal, 1);
      if (now === progress) {
        void worker.terminate();
        return { ok: false, failure: "Timeout was reached (28)", transient: true };
      }
      progress = now;
    }
  }
  const outcome = receiveMessageOnPort(port1)?.message as DownloadOutcome | undefined;
  port1.close();
  return outcome ?? { ok: false, failure: "the download thread gave no answer", transient: false };
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
