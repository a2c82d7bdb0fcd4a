// Builds from scratch: examples/graph.nix (200 small derivations in chains and fan-out, on
// busybox) built by `tvix build` into a fresh local:// store and by `nix-build` in its sandbox
// into a fresh chroot store, each run. The time is the whole command's: evaluation, bringing
// busybox into the store, the builds and storing their outputs. Both run as many builds at
// once as the machine has cores.
import { rmSync, mkdirSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NIX_SANDBOX_OPTIONS } from "../test/support/nix-build.ts";
import { type Comparison, compareCommands } from "./lib/measure.ts";
import { inFreshDir } from "./store.bench.ts";

const GRAPH = fileURLToPath(new URL("../examples/graph.nix", import.meta.url));

export async function run(workDir: string, tvix: string[], runs: number): Promise<Comparison[]> {
  const [node, ...tvixArgs] = tvix;
  const jobs = String(cpus().length);
  const scratch = join(workDir, "build-runs");
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    return [
      await compareCommands(
        `build graph of 200 (-j ${jobs})`,
        inFreshDir(scratch, 'exec "$1" "$2" build --store "local://$d/store" -o "$d/result" -j "$3" "$4"', node, tvixArgs[0], jobs, GRAPH),
        inFreshDir(scratch, 'exec nix-build --store "$d" "$@"', ...NIX_SANDBOX_OPTIONS, "--max-jobs", jobs, "--no-out-link", GRAPH),
        { runs, stdout: "null" },
      ),
    ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
