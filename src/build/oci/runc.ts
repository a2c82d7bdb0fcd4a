// Running one container with runc: `runc run` in the foreground (no terminal), its stdout and
// stderr — the builder's — streamed to the caller; killed (`runc kill KILL`, which takes down the
// whole pid namespace) on abort, on the wall-clock timeout or after too long without output; and
// always deleted afterwards, however it ended.
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import type { BuildOptions } from "../build-service.ts";

/** Lines of log given with a failure, as Nix shows. */
const LOG_TAIL_LINES = 25;
/** Bytes of log kept for the tail. */
const LOG_TAIL_BYTES = 64 << 10;

export const RUNC = process.env.TVIX_BUILD_RUNC ?? "runc";

export interface ContainerResult {
  /** runc's exit code: the builder's, or 128 + signal. */
  exitCode: number;
  /** Why the build was killed (a timeout, an abort), or undefined if it ended by itself. */
  killedBecause?: string;
  /** The last lines of the log. */
  logTail: string;
}

/** The last lines of a byte stream. */
class LogTail {
  private chunks: Buffer[] = [];
  private bytes = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.chunks.length > 1 && this.bytes - this.chunks[0].length >= LOG_TAIL_BYTES) this.bytes -= this.chunks.shift()!.length;
  }

  text(): string {
    const lines = Buffer.concat(this.chunks).toString("utf8").split("\n");
    if (lines.at(-1) === "") lines.pop();
    return lines.slice(-LOG_TAIL_LINES).join("\n");
  }
}

/** Runs `runc` with `args`, collecting its output; never throws for a non-zero exit. */
export function runcCommand(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(RUNC, args, { stdio: ["ignore", "pipe", "pipe"] });
    const output: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output: Buffer.concat(output).toString() }));
  });
}

/** Runs the container `id` of the bundle at `bundle` to its end; see the file comment. */
export async function runContainer(bundle: string, id: string, options: BuildOptions): Promise<ContainerResult> {
  const tail = new LogTail();
  const child = spawn(RUNC, ["run", "--bundle", bundle, id], { stdio: ["ignore", "pipe", "pipe"] });
  let killedBecause: string | undefined;
  let exited = false;
  let runcKilled = false;
  const exit = new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      exited = true;
      runcKilled = signal !== null;
      resolve(code ?? 128 + (signal === null ? 0 : 9));
    });
  });

  const kill = async (reason: string): Promise<void> => {
    if (killedBecause !== undefined || exited) return;
    killedBecause = reason;
    // Until runc has created the container there is nothing to kill yet: try until it goes.
    while (!exited) {
      await runcCommand(["kill", id, "KILL"]);
      await Promise.race([exit, sleep(50)]);
    }
  };

  const timers: NodeJS.Timeout[] = [];
  let silence: NodeJS.Timeout | undefined;
  const maxSilent = options.maxSilentSeconds ?? 0;
  const armSilence = (): void => {
    if (maxSilent <= 0) return;
    clearTimeout(silence);
    silence = setTimeout(() => void kill(`build timed out after ${maxSilent} seconds of silence`), maxSilent * 1000);
  };
  const onOutput = (chunk: Buffer): void => {
    tail.push(chunk);
    armSilence();
    options.onLog?.(chunk);
  };
  child.stdout.on("data", onOutput);
  child.stderr.on("data", onOutput);
  armSilence();
  const timeout = options.timeoutSeconds ?? 0;
  if (timeout > 0) timers.push(setTimeout(() => void kill(`build timed out after ${timeout} seconds`), timeout * 1000));
  const onAbort = (): void => void kill("build was aborted");
  options.signal?.addEventListener("abort", onAbort);
  if (options.signal?.aborted) onAbort();

  try {
    const exitCode = await exit;
    return { exitCode, killedBecause, logTail: tail.text() };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    clearTimeout(silence);
    options.signal?.removeEventListener("abort", onAbort);
    // `runc run` deletes its container when it ends by itself, whatever the build's exit code;
    // only a kill (ours, or of runc) can leave one behind. Sparing the extra runc process on the
    // common path saves a quarter of a small build's time.
    if (killedBecause !== undefined || runcKilled) await runcCommand(["delete", "--force", id]);
  }
}
