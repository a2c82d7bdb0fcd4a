// Where NAR bytes go (a hash, or a file descriptor), run on a worker thread so that producing
// the NAR and consuming it overlap: a large NAR then takes as long as the slower of the two, not
// their sum. The producer fills the slots of a shared ring that the worker consumes in place, and
// may hand it whole large files (open descriptors) to copy itself, so that when writing, reading
// big files moves off the producer too. All of it is synchronous for the caller (Atomics.wait).
// Small NARs never start a worker: they fit in the ring and are consumed on the spot at the end.
import { closeSync } from "node:fs";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { NixCompatError } from "../errors.ts";
import { Hasher, type HashAlgo } from "../hash.ts";
import { MAX_WAIT_MS, MIN_WAIT_MS, writeFully } from "./write-fd.ts";

const SLOTS = 16;
export const SLOT_SIZE = 512 << 10;
/** Files from this size on are copied by the worker when writing. */
const HAND_OVER_MIN_SIZE = 64 << 10;

/** Control words: per slot its state, data length and attached file; then whether the worker is done. */
const FREE = 0;
const FULL = 1;
const LENGTHS = SLOTS;
const FDS = 2 * SLOTS;
const DONE = 3 * SLOTS;
/** A length that tells the worker the input has ended. */
const END = -1;

export type SinkTask = { hash: HashAlgo } | { fd: number };

// Plain JavaScript, so that the worker starts without loading TypeScript. It gets modules with
// process.getBuiltinModule, which works whether Node runs it as a script or as a module (the
// worker inherits flags such as --input-type). Everything is inside try, so that any failure
// reaches the producer instead of leaving it waiting. Its write loop is write-fd.ts's, with the
// same backoff: a pipe made non-blocking fails with EAGAIN while it is full. Files handed over
// are read here but closed by the producer, which opened them.
const WORKER_SOURCE = `
const state = new Int32Array(process.getBuiltinModule("node:worker_threads").workerData.control);
const { task, ring, fileSizes, port } = process.getBuiltinModule("node:worker_threads").workerData;
let result;
try {
  const { readSync, writeSync } = process.getBuiltinModule("node:fs");
  const sizes = new Float64Array(fileSizes);
  const hash = task.hash === undefined ? undefined : process.getBuiltinModule("node:crypto").createHash(task.hash);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const fileBuffer = hash ? undefined : Buffer.allocUnsafe(1 << 20);
  const output = (bytes) => {
    if (hash) return void hash.update(bytes);
    let wait = ${MIN_WAIT_MS};
    for (let at = 0; at < bytes.length; ) {
      try {
        at += writeSync(task.fd, bytes, at, bytes.length - at);
        wait = ${MIN_WAIT_MS};
      } catch (err) {
        if (err.code !== "EAGAIN") throw err;
        Atomics.wait(pause, 0, 0, wait);
        wait = Math.min(wait * 2, ${MAX_WAIT_MS});
      }
    }
  };
  const copyFile = (slot) => {
    const fd = state[${FDS} + slot];
    for (let left = sizes[slot]; left > 0; ) {
      const n = readSync(fd, fileBuffer, 0, Math.min(fileBuffer.length, left), null);
      if (n === 0) throw Object.assign(new Error("shrank"), { shrankInSlot: slot });
      output(fileBuffer.subarray(0, n));
      left -= n;
    }
  };
  for (let slot = 0; ; slot = (slot + 1) % ${SLOTS}) {
    Atomics.wait(state, slot, ${FREE});
    const length = state[${LENGTHS} + slot];
    if (length === ${END}) break;
    output(new Uint8Array(ring, slot * ${SLOT_SIZE}, length));
    if (state[${FDS} + slot] >= 0) copyFile(slot);
    Atomics.store(state, slot, ${FREE});
    Atomics.notify(state, slot);
  }
  result = { digest: hash?.digest() };
} catch (err) {
  result = { error: { message: String(err?.message ?? err), code: err?.code, syscall: err?.syscall, shrankInSlot: err?.shrankInSlot } };
}
port.postMessage(result);
Atomics.store(state, ${DONE}, 1);
Atomics.notify(state, ${DONE});
// Wake the producer if it waits for a slot: it then sees that the worker is done.
for (let slot = 0; slot < ${SLOTS}; slot++) {
  Atomics.store(state, slot, ${FREE});
  Atomics.notify(state, slot);
}
`;

interface WorkerFailure {
  message: string;
  code?: string;
  syscall?: string;
  shrankInSlot?: number;
}

/**
 * A sink fed through a ring of buffers: take each buffer from `nextBuffer`, fill it, optionally
 * attach a file with `takeFile`, and hand the filled part to `update`, in order. A buffer is
 * reused only once the sink has consumed it.
 */
export class WorkerSink {
  private readonly task: SinkTask;
  private readonly ring = new SharedArrayBuffer(SLOTS * SLOT_SIZE);
  private readonly state = new Int32Array(new SharedArrayBuffer(4 * (DONE + 1))).fill(-1, FDS, FDS + SLOTS);
  private readonly fileSizes = new Float64Array(new SharedArrayBuffer(8 * SLOTS));
  /** Paths of the files handed over, by slot, for error messages. */
  private readonly filePaths: Buffer[] = [];
  private handedOut = 0;
  private published = 0;
  private worker: { thread: Worker; port: MessageChannel["port1"] } | undefined;
  /** Bytes consumed so far, file contents handed over included. */
  size = 0;

  constructor(task: SinkTask) {
    this.task = task;
  }

  /** The buffer to fill next (waits until the sink has consumed what it held before). */
  nextBuffer(): Buffer {
    const slot = this.handedOut % SLOTS;
    this.waitUntilFree(slot);
    this.handedOut++;
    return Buffer.from(this.ring, slot * SLOT_SIZE, SLOT_SIZE);
  }

  /**
   * Offers the open regular file `fd`, whose `size` bytes come right after the data of the
   * buffer being filled. If accepted (true), the sink reads and closes it; otherwise the caller
   * reads it into the buffers as usual.
   */
  takeFile(fd: number, size: number, path: Buffer): boolean {
    if (!("fd" in this.task) || size < HAND_OVER_MIN_SIZE) return false;
    this.worker ??= this.startWorker();
    const slot = (this.handedOut - 1) % SLOTS;
    this.state[FDS + slot] = fd;
    this.fileSizes[slot] = size;
    this.filePaths[slot] = path;
    this.size += size;
    return true;
  }

  /** Hands over `chunk`: the filled start of the oldest buffer not yet handed over. */
  update(chunk: Uint8Array): void {
    const slot = this.published % SLOTS;
    if (chunk.buffer !== this.ring || chunk.byteOffset !== slot * SLOT_SIZE) throw new Error("WorkerSink.update: chunk is not the next ring buffer");
    this.publish(slot, chunk.length);
    this.size += chunk.length;
  }

  /** Waits until everything is consumed; returns the digest when hashing. */
  finish(): Uint8Array | undefined {
    if (!this.worker) return this.finishHere();
    this.stopWorker();
    return this.result().digest;
  }

  /** After a failure elsewhere: lets the worker stop, closing every file handed over. */
  abort(): void {
    if (this.worker) this.stopWorker();
    else this.closeFiles();
  }

  /** Sends the end, waits for the worker to be done and closes the files handed over. */
  private stopWorker(): void {
    if (Atomics.load(this.state, DONE) === 0) {
      const slot = this.published % SLOTS;
      Atomics.wait(this.state, slot, FULL);
      if (Atomics.load(this.state, DONE) === 0) this.publish(slot, END);
      Atomics.wait(this.state, DONE, 0);
    }
    this.closeFiles();
  }

  private closeFiles(): void {
    for (let slot = 0; slot < SLOTS; slot++) this.closeFile(slot);
  }

  private closeFile(slot: number): void {
    if (this.state[FDS + slot] < 0) return;
    closeSync(this.state[FDS + slot]);
    this.state[FDS + slot] = -1;
  }

  /** No worker was needed: everything is still in the ring, in order from slot 0. */
  private finishHere(): Uint8Array | undefined {
    const chunks = Array.from({ length: this.published }, (_, slot) => new Uint8Array(this.ring, slot * SLOT_SIZE, this.state[LENGTHS + slot]));
    if ("fd" in this.task) {
      for (const chunk of chunks) writeFully(this.task.fd, chunk);
      return undefined;
    }
    const hasher = new Hasher(this.task.hash);
    for (const chunk of chunks) hasher.update(chunk);
    return hasher.finish().digest;
  }

  private publish(slot: number, length: number): void {
    this.state[LENGTHS + slot] = length;
    Atomics.store(this.state, slot, FULL);
    Atomics.notify(this.state, slot);
    this.published++;
  }

  private waitUntilFree(slot: number): void {
    if (Atomics.load(this.state, slot) !== FREE) {
      // The ring is full: from now on the worker consumes while we produce.
      this.worker ??= this.startWorker();
      Atomics.wait(this.state, slot, FULL);
    }
    // Only a failed worker is done before the end: its answer throws.
    if (Atomics.load(this.state, DONE) !== 0) {
      this.closeFiles();
      this.result();
    }
    this.closeFile(slot);
  }

  /** The worker's answer (once it is done); throws its error, if it failed. */
  private result(): { digest?: Uint8Array } {
    const message = receiveMessageOnPort(this.worker!.port)?.message as { digest?: Uint8Array; error?: WorkerFailure };
    this.worker!.port.close();
    if (message.error) this.fail(message.error);
    return message;
  }

  private fail(error: WorkerFailure): never {
    if (error.shrankInSlot !== undefined) throw new NixCompatError(`file '${this.filePaths[error.shrankInSlot]}' shrank while being archived`);
    throw Object.assign(new Error(error.message), { code: error.code, syscall: error.syscall });
  }

  private startWorker(): { thread: Worker; port: MessageChannel["port1"] } {
    const { port1, port2 } = new MessageChannel();
    const task = "fd" in this.task ? { fd: this.task.fd } : { hash: this.task.hash };
    const workerData = { task, ring: this.ring, control: this.state.buffer, fileSizes: this.fileSizes.buffer, port: port2 };
    // stdout/stderr: true keeps Node from piping the worker's output to ours, which would touch
    // process.stdout and so make fd 1 non-blocking under our writes.
    const thread = new Worker(WORKER_SOURCE, { eval: true, workerData, transferList: [port2], stdout: true, stderr: true });
    // Never keep the process alive for the worker; it ends by itself after the last chunk.
    thread.unref();
    return { thread, port: port1 };
  }
}
