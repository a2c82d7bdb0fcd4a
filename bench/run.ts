// `npm run bench [NAME…]`: runs every benchmark (or the named ones: nar, eval, store, build) against real Nix
// in the same run and prints the ratios (tvix / Nix: below 1 means tvix is faster or smaller)
// of wall time and peak memory, with the machine they were measured on.
import { fileURLToPath } from "node:url";
import * as build from "./build.bench.ts";
import * as evaluation from "./eval.bench.ts";
import { type Comparison, machineDescription } from "./lib/measure.ts";
import * as nar from "./nar.bench.ts";
import * as store from "./store.bench.ts";

const WORK_DIR = fileURLToPath(new URL("./.work", import.meta.url));
const TVIX = [process.execPath, fileURLToPath(new URL("../bin/tvix.js", import.meta.url))];
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BENCHMARKS: Record<string, () => Promise<Comparison[]>> = {
  nar: () => nar.run(WORK_DIR, TVIX, RUNS),
  eval: () => evaluation.run(TVIX, RUNS),
  store: () => store.run(WORK_DIR, TVIX, RUNS),
  build: () => build.run(WORK_DIR, TVIX, RUNS),
};
const selected = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(BENCHMARKS);

console.log(`machine: ${machineDescription()}`);
console.log(`runs per case: ${RUNS} (median reported)\n`);
console.log(`${"case".padEnd(24)} ${"tvix s".padStart(8)} ${"nix s".padStart(8)} ${"tvix/nix".padStart(9)} ${"tvix MiB".padStart(9)} ${"nix MiB".padStart(8)} ${"tvix/nix".padStart(9)}`);
for (const name of selected) {
  if (!Object.hasOwn(BENCHMARKS, name)) throw new Error(`unknown benchmark '${name}' (known: ${Object.keys(BENCHMARKS).join(", ")})`);
  for (const result of await BENCHMARKS[name]()) {
    if ("fails" in result) {
      console.log(`${result.name.padEnd(24)} fails: ${result.fails}`);
      continue;
    }
    if ("note" in result) {
      console.log(`${result.name.padEnd(24)} ${result.note}`);
      continue;
    }
    const { tvix, nix } = result;
    const time = `${tvix.median.toFixed(3).padStart(8)} ${nix.median.toFixed(3).padStart(8)} ${(tvix.median / nix.median).toFixed(2).padStart(9)}`;
    const memory = `${tvix.maxRssMiB.toFixed(0).padStart(9)} ${nix.maxRssMiB.toFixed(0).padStart(8)} ${(tvix.maxRssMiB / nix.maxRssMiB).toFixed(2).padStart(9)}`;
    console.log(`${result.name.padEnd(24)} ${time} ${memory}`);
  }
}
