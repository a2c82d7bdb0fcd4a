// The thread that does one download for download.ts: fetches the URL (following redirects)
// into a file, posts the outcome and wakes the waiting evaluator. It imports nothing but
// Node's own modules, so that it cannot fail before it can report.
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type MessagePort, workerData } from "node:worker_threads";

export interface DownloadRequest {
  url: string;
  dest: string;
  port: MessagePort;
  /** [0]: set to 1 when done; [1]: bumped whenever data arrives. */
  signal: Int32Array;
}

/**
 * The worker's answer: what the server said, or why it failed (the part of Nix's message
 * after "unable to download 'URL': ") and whether trying again may help.
 */
export type DownloadOutcome =
  | { ok: true; etag: string; effectiveUrl: string }
  | { ok: false; failure: string; transient: boolean };

/** curl's wording (and code) for the failures Nix users see, which Nix quotes. */
function connectionFailure(err: unknown): string {
  const code = (err as { cause?: { code?: string } })?.cause?.code;
  if (code === "ECONNREFUSED") return "Couldn't connect to server (7)";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "Couldn't resolve host name (6)";
  if (code === "ECONNRESET") return "Failure when receiving data from the peer (56)";
  return `${(err as Error)?.message ?? String(err)}`;
}

const MAX_SHOWN_BODY = 1024;

async function download(request: DownloadRequest): Promise<DownloadOutcome> {
  let response: Response;
  try {
    response = await fetch(request.url, { redirect: "follow" });
  } catch (err) {
    return { ok: false, failure: connectionFailure(err), transient: true };
  }
  if (!response.ok) {
    const body = Buffer.from(await response.arrayBuffer()).toString("latin1");
    let failure = `HTTP error ${response.status} ('${response.statusText}')`;
    if (body.length < MAX_SHOWN_BODY || body.includes("<html>")) failure += `\n\nresponse body:\n\n${body.replace(/[ \t\n\r]+$/, "")}`;
    const transient = [408, 429, 500, 502, 503, 504].includes(response.status);
    return { ok: false, failure, transient };
  }
  const progress = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      Atomics.add(request.signal, 1, 1);
      controller.enqueue(chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb((response.body ?? new ReadableStream()).pipeThrough(progress) as never), createWriteStream(request.dest));
  } catch (err) {
    return { ok: false, failure: connectionFailure(err), transient: true };
  }
  return { ok: true, etag: response.headers.get("etag") ?? "", effectiveUrl: response.url };
}

const request = workerData as DownloadRequest;
let outcome: DownloadOutcome;
try {
  outcome = await download(request);
} catch (err) {
  outcome = { ok: false, failure: (err as Error)?.message ?? String(err), transient: false };
}
request.port.postMessage(outcome);
Atomics.store(request.signal, 0, 1);
Atomics.notify(request.signal, 0);
