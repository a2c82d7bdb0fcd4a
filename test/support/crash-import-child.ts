// The importing process of the crash-safety test (and of the multi-process store test): adds
// trees to a store one after another until it has done `count` or is killed, and after each
// PathInfo is stored prints `stored <base name> <nar sha256 hex> <nar size>` (stdout to a pipe is
// synchronous, so a printed line means the put had resolved). Some imports are the base trees
// under a new name (only a PathInfo is new), some are fresh random trees (new blobs and
// directories too); sometimes two run at once.
//
//   node crash-import-child.ts STORE-URL TREES-DIR SEED COUNT
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/composition.ts";
import { addLocalPath } from "../../src/store/add-path.ts";
import { createRandomTree } from "./random-tree.ts";
import { SeededRandom } from "./seeded-random.ts";

const [url, treesDir, seedText, countText] = process.argv.slice(2);
const seed = Number(seedText);
const count = Number(countText);
const random = new SeededRandom(seed);
const baseTrees = readdirSync(treesDir)
  .filter((name) => name.startsWith("base-"))
  .sort();

async function importOne(i: number): Promise<void> {
  let path: string;
  let fresh = false;
  if (random.next() < 0.4) {
    path = join(treesDir, `fresh-${seed}-${i}`);
    createRandomTree(path, { seed: seed * 1000 + i, entries: random.int(5, 60), totalBytes: random.next() < 0.3 ? random.int(1, 3) << 20 : undefined });
    fresh = true;
  } else {
    path = join(treesDir, random.pick(baseTrees));
  }
  const info = await addLocalPath(store, path, { name: `crash-${seed}-${i}` });
  process.stdout.write(`stored ${info.storePath.baseName} ${Buffer.from(info.narSha256).toString("hex")} ${info.narSize}\n`);
  if (fresh) rmSync(path, { recursive: true, force: true });
}

const store = await openStore(url);
process.stdout.write("ready\n");
for (let i = 0; i < count; ) {
  const together = Math.min(random.int(1, 2), count - i);
  await Promise.all(Array.from({ length: together }, (_, k) => importOne(i + k)));
  i += together;
}
await store.close();
