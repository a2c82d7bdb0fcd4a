// Running real Nix 2.8, the oracle of the differential tests.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const EXPERIMENTAL = ["--extra-experimental-features", "nix-command"];

/** Runs `nix ARGS…` (new-style CLI) and returns stdout lines. */
export function nix(args: string[]): string[] {
  return lines(execFileSync("nix", [...EXPERIMENTAL, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 28 }));
}

/** Runs a classic Nix command (`nix-store`, `nix-instantiate`, …) and returns stdout lines. */
export function nixClassic(command: string, args: string[]): string[] {
  return lines(execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 28 }));
}

const TVIX = fileURLToPath(new URL("../../bin/tvix.js", import.meta.url));

/** Runs our CLI as a user would (a separate process) and returns stdout lines. */
export function tvix(args: string[]): string[] {
  return lines(execFileSync(process.execPath, [TVIX, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 28 }));
}

function lines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => line !== "");
}
