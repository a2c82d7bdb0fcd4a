// Import from derivation across threads. The evaluation is synchronous and runs in a worker;
// when it reads a store path that is not on local disk (an output of a derivation it
// instantiated), the worker asks the main thread to realise it and blocks on `Atomics.wait`
// until the answer: the main thread builds or fetches the path, renders it on local disk, posts
// the reply on a port made for this request and wakes the worker, which takes the reply with
// `receiveMessageOnPort` (its event loop is blocked, so it cannot receive it otherwise).
import { MessageChannel, type MessagePort, parentPort, receiveMessageOnPort } from "node:worker_threads";

export interface RealiseRequest {
  type: "realise";
  storePath: string;
  /** The derivation the evaluation instantiated that has `storePath` as an output, if any. */
  drvPath?: string;
  port: MessagePort;
  /** An Int32 set to 1 once the reply is posted. */
  signal: SharedArrayBuffer;
}

/** Where the path is on local disk, that it is in no store (`absent`), or why realising it failed. */
export type RealiseReply = { path: string } | { absent: true } | { error: string };

export function isRealiseRequest(message: unknown): message is RealiseRequest {
  return typeof message === "object" && message !== null && (message as { type?: unknown }).type === "realise";
}

/** In the evaluation worker: asks the main thread to realise `storePath` and waits for its reply. */
export function realiseThroughParent(storePath: string, drvPath: string | undefined): RealiseReply {
  if (parentPort === null) throw new Error("realiseThroughParent: not in a worker thread");
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const request: RealiseRequest = { type: "realise", storePath, drvPath, port: port1, signal: signal.buffer as SharedArrayBuffer };
  parentPort.postMessage(request, [port1]);
  Atomics.wait(signal, 0, 0);
  const reply = receiveMessageOnPort(port2)?.message as RealiseReply;
  port2.close();
  return reply;
}

/** On the main thread: answers `request` with what `realise` gives (a failure becomes its message). */
export function answerRealise(request: RealiseRequest, realise: (storePath: string, drvPath: string | undefined) => Promise<RealiseReply>): void {
  void realise(request.storePath, request.drvPath)
    .catch((err: unknown): RealiseReply => ({ error: (err as Error)?.message ?? String(err) }))
    .then((reply) => {
      request.port.postMessage(reply);
      request.port.close();
      const signal = new Int32Array(request.signal);
      Atomics.store(signal, 0, 1);
      Atomics.notify(signal, 0);
    });
}
