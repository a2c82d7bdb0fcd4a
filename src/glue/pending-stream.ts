// What an evaluation adds to its store, streamed from the evaluation worker to the main thread
// as it is added: `tvix instantiate` writes it into a real store, `tvix build` starts on
// derivations while evaluation still runs. The worker posts one message per new store path
// (before the evaluation's result, in the order paths were added, so inputs come first); the
// main thread gives each message to `pendingFromMessage`. A derivation travels as its ATerm
// (the .drv file's bytes), which is lossless and what a store writes anyway.
import { parentPort } from "node:worker_threads";
import { parseAterm } from "../nix-compat/derivation/aterm-parse.ts";
import { printAterm } from "../nix-compat/derivation/aterm-print.ts";
import type { PendingPath, PendingStore } from "./pending-store.ts";

export interface PendingMessage {
  type: "pending-path";
  storePath: string;
  entry: Exclude<PendingPath, { kind: "derivation" }> | { kind: "derivation"; aterm: Uint8Array };
}

/** In the evaluation worker: posts every path `pending` records from now on to the main thread. */
export function streamPendingToParent(pending: PendingStore): void {
  const port = parentPort;
  if (port === null) throw new Error("streamPendingToParent: not in a worker thread");
  pending.onAdd = (storePath, entry) => {
    const message: PendingMessage = {
      type: "pending-path",
      storePath,
      entry: entry.kind === "derivation" ? { kind: "derivation", aterm: printAterm(entry.drv) } : entry,
    };
    port.postMessage(message);
  };
}

export function isPendingMessage(message: unknown): message is PendingMessage {
  return typeof message === "object" && message !== null && (message as { type?: unknown }).type === "pending-path";
}

/** On the main thread: the store path and its entry, as the worker's PendingStore has it. */
export function pendingFromMessage(message: PendingMessage): [string, PendingPath] {
  const { storePath, entry } = message;
  if (entry.kind !== "derivation") return [storePath, entry];
  return [storePath, { kind: "derivation", drv: parseAterm(entry.aterm) }];
}
