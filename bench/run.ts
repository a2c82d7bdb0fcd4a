// `npm run bench`: runs every benchmark against real Nix in the same run and prints the ratios
// (tvix time / Nix time: below 1 means tvix is faster) with the machine they were measured on.
import { fileURLToPath } from "node:url";
import { machineDescription } from "./lib/measure.ts";
import * as nar from "./nar.bench.ts";

const WORK_DIR = fileURLToPath(new URL("./.work", import.meta.url));
const TVIX = [process.execPath, fileURLToPath(new URL("../bin/tvix.js", import.meta.url))];
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

console.log(`machine: ${machineDescription()}`);
console.log(`runs per case: ${RUNS} (median reported)\n`);
console.log(`${"case".padEnd(24)} ${"tvix s".padStart(8)} ${"nix s".padStart(8)} ${"tvix/nix".padStart(9)}`);
for (const result of await nar.run(WORK_DIR, TVIX, RUNS)) {
  const ratio = result.tvix.median / result.nix.median;
  console.log(`${result.name.padEnd(24)} ${result.tvix.median.toFixed(3).padStart(8)} ${result.nix.median.toFixed(3).padStart(8)} ${ratio.toFixed(2).padStart(9)}`);
}
