// Timing of whole commands for benchmarks: tvix and real Nix are both measured as processes
// started the same way, in the same run, so their ratio is fair.
import { spawn } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { execFileSync } from "node:child_process";

export interface Timing {
  /** Median wall-clock seconds over the runs. */
  median: number;
  runs: number[];
}

/** Runs `command args` `runs` times with stdout sent to `stdout` ("/dev/null" or a pipe drained by us). */
export async function timeCommand(command: string, args: string[], options: { runs: number; stdout: "null" | "pipe" }): Promise<Timing> {
  const runs: number[] = [];
  for (let i = 0; i < options.runs; i++) runs.push(await timeOnce(command, args, options.stdout));
  const sorted = [...runs].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], runs };
}

function timeOnce(command: string, args: string[], stdout: "null" | "pipe"): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ["ignore", stdout === "null" ? "ignore" : "pipe", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += d));
    child.stdout?.on("data", () => {});
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`${command} ${args.join(" ")} exited with ${code}: ${stderr}`));
      else resolve(Number(process.hrtime.bigint() - start) / 1e9);
    });
  });
}

/** One line saying what machine the numbers come from. */
export function machineDescription(): string {
  const cpu = cpus();
  const nix = execFileSync("nix", ["--version"], { encoding: "utf8" }).trim();
  return `${cpu[0]?.model ?? "unknown CPU"} × ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.versions.node}, ${nix}`;
}
