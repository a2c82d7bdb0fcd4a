// NAR dump and path hashing of one ~1 GiB tree: `tvix nar dump` vs `nix-store --dump` and
// `tvix hash path` vs `nix hash path`, as whole processes in the same run.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRandomTree } from "../test/support/random-tree.ts";
import { type Command, type Comparison, compareCommands } from "./lib/measure.ts";

const TREE_SEED = 20261121;
const TREE_BYTES = 1 << 30;

/** The benchmark tree, made once and reused: thousands of small files plus large ones to ~1 GiB. */
export function benchTree(workDir: string): string {
  const tree = join(workDir, "tree-1gib");
  const done = `${tree}.complete`;
  if (!existsSync(done)) {
    rmSync(tree, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    const stats = createRandomTree(tree, { seed: TREE_SEED, entries: 20000, maxDepth: 6, totalBytes: TREE_BYTES });
    writeFileSync(done, JSON.stringify(stats));
  }
  return tree;
}

export async function run(workDir: string, tvix: string[], runs: number): Promise<Comparison[]> {
  const tree = benchTree(workDir);
  const [node, ...tvixArgs] = tvix;
  const nixCommand = ["--extra-experimental-features", "nix-command"];
  const cases: [string, Command, Command, "null" | "pipe"][] = [
    ["NAR dump > /dev/null", [node, [...tvixArgs, "nar", "dump", tree]], ["nix-store", ["--dump", tree]], "null"],
    ["NAR dump | pipe", [node, [...tvixArgs, "nar", "dump", tree]], ["nix-store", ["--dump", tree]], "pipe"],
    ["hash path (sha256)", [node, [...tvixArgs, "hash", "path", tree]], ["nix", [...nixCommand, "hash", "path", tree]], "null"],
  ];
  const results: Comparison[] = [];
  for (const [name, tvixRun, nixRun, stdout] of cases) results.push(await compareCommands(name, tvixRun, nixRun, { runs, stdout }));
  return results;
}
