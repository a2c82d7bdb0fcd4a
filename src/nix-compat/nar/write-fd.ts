// Writing whole buffers to a file descriptor from synchronous code. stdout may be a pipe that
// another process (or Node itself, once `process.stdout` is touched) made non-blocking; then
// write(2) fails with EAGAIN while the pipe is full, and we sleep briefly instead of spinning.
import { writeSync } from "node:fs";

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** The first wait after EAGAIN, doubled on each further one up to the longest. */
export const MIN_WAIT_MS = 0.02;
export const MAX_WAIT_MS = 2;

function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Writes all of `bytes` to `fd`, retrying short writes and waiting out EAGAIN. */
export function writeFully(fd: number, bytes: Uint8Array): void {
  let wait = MIN_WAIT_MS;
  for (let offset = 0; offset < bytes.length; ) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
      wait = MIN_WAIT_MS;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
      // The reader is slower than us: back off exponentially, up to a couple of milliseconds.
      sleep(wait);
      wait = Math.min(wait * 2, MAX_WAIT_MS);
    }
  }
}
