// Hashing on a worker thread while the main thread produces the bytes: for a large NAR, reading
// the files and hashing them then take as long as the slower of the two, not their sum. The
// bytes are never copied: the producer fills slots of a shared ring that the worker hashes in
// place. All of it is synchronous for the caller (Atomics.wait), so `narHash` stays a plain
// function. Small inputs never start a worker: they are hashed on the spot at the end.
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { Hasher, Hash, type HashAlgo } from "../hash.ts";

const SLOTS = 8;
export const SLOT_SIZE = 1 << 20;

/** Control words: a state per slot, then a length per slot, then whether the worker is done. */
const FREE = 0;
const FULL = 1;
const LENGTHS = SLOTS;
const DONE = 2 * SLOTS;
/** A length that tells the worker the input has ended. */
const END = -1;

// Plain JavaScript, so the worker starts without loading TypeScript.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { algo, ring, control, port, slots, slotSize } = workerData;
const state = new Int32Array(control);
const hash = createHash(algo);
for (let slot = 0; ; slot = (slot + 1) % slots) {
  Atomics.wait(state, slot, ${FREE});
  const length = state[${LENGTHS} + slot];
  if (length === ${END}) break;
  hash.update(new Uint8Array(ring, slot * slotSize, length));
  Atomics.store(state, slot, ${FREE});
  Atomics.notify(state, slot);
}
port.postMessage(hash.digest());
Atomics.store(state, ${DONE}, 1);
Atomics.notify(state, ${DONE});
`;

/**
 * A hasher fed through a ring of buffers: get each buffer from `nextBuffer`, fill it, and pass
 * the filled part to `update`, in order. A buffer is reused only after it has been hashed.
 */
export class WorkerHasher {
  readonly algo: HashAlgo;
  private readonly ring = new SharedArrayBuffer(SLOTS * SLOT_SIZE);
  private readonly state = new Int32Array(new SharedArrayBuffer(4 * (DONE + 1)));
  private handedOut = 0;
  private published = 0;
  private worker: { thread: Worker; port: MessageChannel["port1"] } | undefined;

  constructor(algo: HashAlgo) {
    this.algo = algo;
  }

  /** The buffer to fill next (waits until the worker has hashed what it held before). */
  nextBuffer(): Buffer {
    const slot = this.handedOut % SLOTS;
    this.waitUntilFree(slot);
    this.handedOut++;
    return Buffer.from(this.ring, slot * SLOT_SIZE, SLOT_SIZE);
  }

  /** Hands over `chunk`: the filled start of the oldest buffer not yet handed over. */
  update(chunk: Uint8Array): void {
    const slot = this.published % SLOTS;
    if (chunk.buffer !== this.ring || chunk.byteOffset !== slot * SLOT_SIZE) throw new Error("WorkerHasher.update: chunk is not the next ring buffer");
    this.publish(slot, chunk.length);
  }

  finish(): Hash {
    if (!this.worker) {
      // Everything fitted in the ring: hash it here.
      const hasher = new Hasher(this.algo);
      for (let i = 0; i < this.published; i++) hasher.update(new Uint8Array(this.ring, i * SLOT_SIZE, this.state[LENGTHS + i]));
      return hasher.finish();
    }
    const slot = this.published % SLOTS;
    this.waitUntilFree(slot);
    this.publish(slot, END);
    Atomics.wait(this.state, DONE, 0);
    const digest = receiveMessageOnPort(this.worker.port)!.message as Uint8Array;
    this.worker.port.close();
    return new Hash(this.algo, digest);
  }

  /** Stops the worker after a failure elsewhere; the hasher is unusable afterwards. */
  abort(): void {
    if (this.worker) void this.worker.thread.terminate();
    this.worker?.port.close();
  }

  private publish(slot: number, length: number): void {
    this.state[LENGTHS + slot] = length;
    Atomics.store(this.state, slot, FULL);
    Atomics.notify(this.state, slot);
    this.published++;
  }

  private waitUntilFree(slot: number): void {
    if (Atomics.load(this.state, slot) === FREE) return;
    // The ring is full: from now on the worker hashes while we produce.
    this.worker ??= this.startWorker();
    Atomics.wait(this.state, slot, FULL);
  }

  private startWorker(): { thread: Worker; port: MessageChannel["port1"] } {
    const { port1, port2 } = new MessageChannel();
    const workerData = { algo: this.algo, ring: this.ring, control: this.state.buffer, port: port2, slots: SLOTS, slotSize: SLOT_SIZE };
    const thread = new Worker(WORKER_SOURCE, { eval: true, workerData, transferList: [port2] });
    // Never keep the process alive for the worker; it ends by itself after the last chunk.
    thread.unref();
    return { thread, port: port1 };
  }
}
