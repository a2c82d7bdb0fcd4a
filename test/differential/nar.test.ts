// NAR against real Nix 2.8 on 320 seeded random trees (awkward names, modes, symlinks, sizes
// around multiples of 8 and past 1 MiB): our bytes equal `nix-store --dump`; our restore of
// Nix's NAR dumps back identically and matches `nix-store --restore` node for node, modes
// included; and `nix-store --restore` accepts our NAR.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { restoreNar } from "../../src/nix-compat/nar/restore.ts";
import { describeTree, forEachConcurrently, narBytes, nixDump, nixRestore } from "../support/nar.ts";
import { createRandomTree, type TreeNodeKind } from "../support/random-tree.ts";
import { SeededRandom } from "../support/seeded-random.ts";

const TREES = 320;
const CONCURRENCY = 3;

interface Tree {
  seed: number;
  path: string;
  nixNar?: Buffer;
}

/** Mostly directories; every so often the root is a lone file or symlink. */
function rootKind(seed: number): TreeNodeKind {
  if (seed % 16 === 5) return "regular";
  if (seed % 16 === 9) return "symlink";
  return "directory";
}

/** `nar` in pieces of random sizes, to exercise the reader across chunk boundaries. */
function* randomChunks(nar: Buffer, seed: number): Generator<Buffer> {
  const random = new SeededRandom(seed);
  for (let at = 0; at < nar.length; ) {
    const size = random.pick([1, 7, 8, 9, 100, 4096, 65536, 1 << 20]);
    yield nar.subarray(at, at + size);
    at += size;
  }
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

describe(`NAR against nix-store on ${TREES} random trees`, () => {
  let work: string;
  const trees: Tree[] = [];

  before(() => {
    work = mkdtempSync(join(tmpdir(), "tvix-nar-diff-"));
    for (let seed = 0; seed < TREES; seed++) {
      const path = join(work, `tree-${seed}`);
      createRandomTree(path, { seed, entries: 4 + (seed % 40), root: rootKind(seed) });
      trees.push({ seed, path });
    }
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  it("writes the bytes nix-store --dump writes", async () => {
    await forEachConcurrently(trees, CONCURRENCY, async (tree) => {
      tree.nixNar = await nixDump(tree.path);
      const ours = narBytes(tree.path);
      assert.ok(
        ours.equals(tree.nixNar),
        `seed ${tree.seed}: NARs differ at byte ${firstDifference(ours, tree.nixNar)} (ours ${ours.length} bytes, Nix ${tree.nixNar.length})`,
      );
    });
  });

  it("restores Nix's NAR to what nix-store --restore makes, and it dumps back identically", async () => {
    await forEachConcurrently(trees, CONCURRENCY, async (tree) => {
      const nixNar = tree.nixNar ?? (await nixDump(tree.path));
      const ours = join(work, `tvix-restored-${tree.seed}`);
      const theirs = join(work, `nix-restored-${tree.seed}`);
      assert.equal(await restoreNar(randomChunks(nixNar, tree.seed), ours), nixNar.length);
      const nix = await nixRestore(nixNar, theirs);
      assert.equal(nix.status, 0, `seed ${tree.seed}: nix-store --restore failed: ${nix.stderr}`);
      assert.deepEqual(describeTree(ours), describeTree(theirs), `seed ${tree.seed}: restored trees differ`);
      assert.ok((await nixDump(ours)).equals(nixNar), `seed ${tree.seed}: re-dump of our restore differs`);
    });
  });

  it("writes NARs that nix-store --restore accepts and restores faithfully", async () => {
    await forEachConcurrently(trees, CONCURRENCY, async (tree) => {
      const ours = narBytes(tree.path);
      const target = join(work, `nix-restored-ours-${tree.seed}`);
      const nix = await nixRestore(ours, target);
      assert.equal(nix.status, 0, `seed ${tree.seed}: nix-store --restore refused our NAR: ${nix.stderr}`);
      assert.ok(narBytes(target).equals(ours), `seed ${tree.seed}: Nix restored something else`);
    });
  });
});
