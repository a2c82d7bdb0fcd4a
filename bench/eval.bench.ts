// Evaluation of real nixpkgs: `tvix eval` vs `nix-instantiate --eval` on both pinned trees
// (../../shared/nixpkgs): the library test suites misc.nix and systems.nix (--strict), and
// hello's drvPath, which evaluates the whole stdenv bootstrap.
import { unpackedNixpkgs } from "../test/support/nixpkgs.ts";
import { type Command, type Comparison, compareCommands } from "./lib/measure.ts";

const TREES = ["nixpkgs-0aeba64f", "nixpkgs-2411pre-203b6a7c"];

export async function run(tvix: string[], runs: number): Promise<Comparison[]> {
  const [node, ...tvixArgs] = tvix;
  const results: Comparison[] = [];
  for (const name of TREES) {
    const tree = unpackedNixpkgs(name);
    const cases: [string, string[]][] = [
      ["misc.nix", ["--strict", `${tree}/lib/tests/misc.nix`]],
      ["systems.nix", ["--strict", `${tree}/lib/tests/systems.nix`]],
      ["hello.drvPath", ["-E", `(import ${tree} { }).hello.drvPath`]],
    ];
    for (const [label, args] of cases) {
      const tvixRun: Command = [node, [...tvixArgs, "eval", ...args]];
      const nixRun: Command = ["nix-instantiate", ["--eval", ...args]];
      results.push(await compareCommands(`${name.replace("nixpkgs-", "").split("-")[0]} ${label}`, tvixRun, nixRun, { runs, stdout: "pipe" }));
    }
  }
  return results;
}
