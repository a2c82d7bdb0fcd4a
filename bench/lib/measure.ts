// Timing and peak memory of whole commands for benchmarks: tvix and real Nix are both measured
// as processes started the same way, in the same run, so their ratios are fair.
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";

/** GNU time: reports the peak resident memory (max RSS) of the command it runs. */
const GNU_TIME = "/usr/bin/time";

export interface Timing {
  /** Median wall-clock seconds over the runs. */
  median: number;
  runs: number[];
  /** Median peak resident memory (max RSS) in MiB. */
  maxRssMiB: number;
}

/** A command, as argv. */
export type Command = [string, string[]];

/** tvix against Nix for one case, or why tvix could not run it, or a measurement that is not a timing. */
export type Comparison = { name: string; tvix: Timing; nix: Timing } | { name: string; fails: string } | { name: string; note: string };

/** A measured command exited with an error. */
export class CommandFailedError extends Error {
  override name = "CommandFailedError";
  readonly stderr: string;

  constructor(command: Command, code: number | null, stderr: string) {
    super(`${command[0]} ${command[1].join(" ")} exited with ${code}: ${stderr}`);
    this.stderr = stderr;
  }
}

/**
 * Measures tvix and Nix on one case: one untimed run each first (it warms the page cache and,
 * for tvix, Node's compile cache), then `runs` timed runs each. A tvix failure becomes
 * "fails: <its first error line>"; a Nix failure means the benchmark itself is broken.
 */
export async function compareCommands(name: string, tvix: Command, nix: Command, options: { runs: number; stdout: "null" | "pipe" }): Promise<Comparison> {
  try {
    await timeCommand(tvix, { ...options, runs: 1 });
  } catch (err) {
    if (!(err instanceof CommandFailedError)) throw err;
    const lines = err.stderr.split("\n");
    return { name, fails: lines.find((line) => line.startsWith("error:")) ?? lines[0] };
  }
  await timeCommand(nix, { ...options, runs: 1 });
  const nixTiming = await timeCommand(nix, options);
  return { name, tvix: await timeCommand(tvix, options), nix: nixTiming };
}

/** Runs `command` `runs` times with stdout sent to /dev/null or through a pipe drained by us. */
export async function timeCommand(command: Command, options: { runs: number; stdout: "null" | "pipe" }): Promise<Timing> {
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing: install GNU time ('apt-get install time') to measure peak memory`);
  const measured: { seconds: number; maxRssKiB: number }[] = [];
  for (let i = 0; i < options.runs; i++) measured.push(await measureOnce(command, options.stdout));
  const runs = measured.map((m) => m.seconds);
  return { median: median(runs), runs, maxRssMiB: median(measured.map((m) => m.maxRssKiB)) / 1024 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measureOnce([command, args]: Command, stdout: "null" | "pipe"): Promise<{ seconds: number; maxRssKiB: number }> {
  const dir = mkdtempSync(join(tmpdir(), "tvix-bench-"));
  const report = join(dir, "max-rss");
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    // %M: max RSS in KiB, written to its own file so that the command's stderr stays its own.
    const child = spawn(GNU_TIME, ["-f", "%M", "-o", report, command, ...args], { stdio: ["ignore", stdout === "null" ? "ignore" : "pipe", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += d));
    child.stdout?.on("data", () => {});
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      // On failure GNU time puts "Command exited with non-zero status N" before the number.
      const maxRssKiB = Number(readFileSync(report, "utf8").trim().split("\n").at(-1));
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) reject(new CommandFailedError([command, args], code, stderr));
      else resolve({ seconds, maxRssKiB });
    });
  });
}

/** One line saying what machine the numbers come from, and how busy it was (other work skews the timings). */
export function machineDescription(): string {
  const cpu = cpus();
  const nix = execFileSync("nix", ["--version"], { encoding: "utf8" }).trim();
  return `${cpu[0]?.model ?? "unknown CPU"} × ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load average ${loadavg()[0].toFixed(2)}, Node ${process.versions.node}, ${nix}`;
}
