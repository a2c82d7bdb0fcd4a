// Crash safety of the local store, as the issue asks: a process importing trees is killed with
// SIGKILL at random moments, again and again, into the same store; after each kill the store is
// reopened and checked. No partial path may be visible (every PathInfo listed has all its
// directories and blobs, and its NAR has the recorded sha256 and size), nothing confirmed before
// may be lost, and the dead writer's temporary files are gone. Kill times are seeded
// (CRASH_SEED=N reproduces a run, CRASH_KILLS=N changes the count; the scheduling of a loaded
// machine still varies).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { open } from "lmdb";
import { readBlob } from "../src/castore/blob-service.ts";
import { digestFromHex, digestHex } from "../src/castore/digest.ts";
import { RootToLeavesValidator } from "../src/castore/directory-graph.ts";
import type { Directory } from "../src/castore/directory.ts";
import { type Store, openStore } from "../src/store/composition.ts";
import { calculateNar } from "../src/store/nar/render.ts";
import type { PathInfo } from "../src/store/path-info.ts";
import { createRandomTree } from "./support/random-tree.ts";
import { SeededRandom } from "./support/seeded-random.ts";

const SEED = Number(process.env.CRASH_SEED ?? 4);
const KILLS = Number(process.env.CRASH_KILLS ?? 55);
/** Longest time a child imports after it is ready, before it is killed. */
const MAX_RUN_MS = 700;
/** Already verified paths checked again after each kill. */
const RECHECKS = 3;
const CHILD = join(import.meta.dirname, "support", "crash-import-child.ts");
/** Node's compile cache (its default place) more than halves each importer's start-up. */
const CHILD_ENV = { ...process.env, NODE_COMPILE_CACHE: join(tmpdir(), "node-compile-cache") };

const root = mkdtempSync(join(tmpdir(), "tvix-crash-"));
const storeDir = join(root, "store");
const url = `local://${storeDir}`;
const treesDir = join(root, "trees");
after(() => rmSync(root, { recursive: true, force: true }));

before(() => {
  mkdirSync(treesDir);
  createRandomTree(join(treesDir, "base-0"), { seed: SEED + 1, entries: 60 });
  createRandomTree(join(treesDir, "base-1"), { seed: SEED + 2, entries: 30, totalBytes: 3 << 20 });
  createRandomTree(join(treesDir, "base-2"), { seed: SEED + 3, entries: 120, maxDepth: 8 });
  createRandomTree(join(treesDir, "base-3"), { seed: SEED + 4, root: "regular" });
  createRandomTree(join(treesDir, "base-4"), { seed: SEED + 5, root: "symlink" });
});

interface Confirmed {
  narSha256: string;
  narSize: number;
}

/** Runs the importer and kills it `delayMs` after it is ready; returns the paths it confirmed. */
function runAndKill(seed: number, delayMs: number): Promise<{ confirmed: Map<string, Confirmed>; finished: boolean }> {
  const child = spawn(process.execPath, [CHILD, url, treesDir, String(seed), "1000"], { stdio: ["ignore", "pipe", "pipe"], env: CHILD_ENV });
  const confirmed = new Map<string, Confirmed>();
  let stdout = "";
  let stderr = "";
  let timer: NodeJS.Timeout | undefined;
  child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
  child.stdout.on("data", (data: Buffer) => {
    stdout += data.toString();
    // Only complete lines count: a line cut by the kill was not confirmed.
    for (let newline; (newline = stdout.indexOf("\n")) >= 0; stdout = stdout.slice(newline + 1)) {
      const [word, baseName, narSha256, narSize] = stdout.slice(0, newline).split(" ");
      if (word === "ready") timer = setTimeout(() => child.kill("SIGKILL"), delayMs);
      else confirmed.set(baseName, { narSha256, narSize: Number(narSize) });
    }
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL") resolve({ confirmed, finished: false });
      else if (code === 0) resolve({ confirmed, finished: true });
      else reject(new Error(`importer (seed ${seed}) failed with ${code ?? signal}:\n${stderr}`));
    });
  });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Checks that everything a PathInfo points to is stored and renders to the recorded NAR. */
async function checkPath(store: Store, info: PathInfo): Promise<void> {
  const name = info.storePath.baseName;
  const files = info.node.kind === "file" ? [info.node] : [];
  if (info.node.kind === "directory") {
    const tree: Directory[] = await collect(store.directories.getRecursive(info.node.digest));
    assert.ok(tree.length > 0, `${name}: root directory missing`);
    const validator = new RootToLeavesValidator(info.node.digest);
    for (const directory of tree) validator.add(directory);
    validator.finish();
    for (const directory of tree) files.push(...directory.files);
  }
  for (const file of files) assert.ok(await store.blobs.has(file.digest), `${name}: blob of ${JSON.stringify(file.name)} missing`);
  const nar = await calculateNar(info.node, store.blobs, store.directories);
  assert.equal(nar.narSize, info.narSize, `${name}: NAR size`);
  assert.equal(Buffer.from(nar.narSha256).toString("hex"), Buffer.from(info.narSha256).toString("hex"), `${name}: NAR sha256`);
}

test(`an importing process killed ${KILLS} times at random moments leaves no partial path and loses nothing confirmed`, async () => {
  const random = new SeededRandom(SEED);
  const confirmedSoFar = new Map<string, Confirmed>();
  const verified = new Set<string>();
  const confirmedPerRun: number[] = [];
  let storedUnconfirmed = 0;
  let killsDuringBlobWrites = 0;
  for (let kill = 0; kill < KILLS; kill++) {
    const seed = SEED * 1000 + kill;
    const { confirmed, finished } = await runAndKill(seed, random.int(0, MAX_RUN_MS));
    assert.ok(!finished, `importer ${seed} finished before it was killed`);
    confirmedPerRun.push(confirmed.size);
    for (const [name, nar] of confirmed) confirmedSoFar.set(name, nar);

    const context = `after kill ${kill} (CRASH_SEED=${SEED})`;
    if (readdirSync(join(storeDir, "blobs", "tmp")).length > 0) killsDuringBlobWrites++;
    const store = await openStore(url);
    try {
      assert.deepEqual(readdirSync(join(storeDir, "blobs", "tmp")), [], `${context}: temporary files of the killed importer remain`);
      const listed = new Map((await collect(store.pathInfos.list())).map((info) => [info.storePath.baseName, info]));
      for (const [name, nar] of confirmedSoFar) {
        const info = listed.get(name);
        assert.ok(info, `${context}: confirmed path ${name} is lost`);
        assert.equal(Buffer.from(info.narSha256).toString("hex"), nar.narSha256, `${context}: ${name}`);
        assert.equal(info.narSize, nar.narSize, `${context}: ${name}`);
      }
      const unverified = [...listed.keys()].filter((name) => !verified.has(name));
      storedUnconfirmed += unverified.filter((name) => !confirmedSoFar.has(name)).length;
      const rechecks = random.shuffle([...verified]).slice(0, RECHECKS);
      for (const name of [...unverified, ...rechecks]) {
        await assert.doesNotReject(checkPath(store, listed.get(name)!), `${context}: ${name}`);
        verified.add(name);
      }
    } finally {
      await store.close();
    }
  }

  // At the end, everything again, every blob file re-hashed, and every stored directory's
  // children present (a tree is stored whole or not at all, referred to or not).
  const store = await openStore(url);
  try {
    const infos = await collect(store.pathInfos.list());
    for (const info of infos) await checkPath(store, info);
    const metadata = open({ path: join(storeDir, "meta.lmdb"), noSubdir: true, maxDbs: 4 });
    let directories = 0;
    try {
      for (const { key } of metadata.openDB<Uint8Array, Uint8Array>({ name: "directories", keyEncoding: "binary", encoding: "binary" }).getRange()) {
        const directory = await store.directories.get(new Uint8Array(key));
        for (const child of directory!.directories) assert.ok(await store.directories.get(child.digest), `directory below ${digestHex(key)} missing`);
        directories++;
      }
    } finally {
      await metadata.close();
    }
    let blobFiles = 0;
    for (const shard of readdirSync(join(storeDir, "blobs")).filter((name) => name !== "tmp")) {
      for (const hex of readdirSync(join(storeDir, "blobs", shard))) {
        assert.ok(await readBlob(store.blobs, digestFromHex(hex)), hex);
        blobFiles++;
      }
    }
    const runsThatStored = confirmedPerRun.filter((n) => n > 0).length;
    console.log(
      `${KILLS} kills: ${infos.length} paths stored (${confirmedSoFar.size} confirmed before a kill, ${storedUnconfirmed} stored but killed before confirming), ` +
        `${runsThatStored} runs confirmed at least one path, ${killsDuringBlobWrites} kills left a blob half-written; ${blobFiles} blob files and ${directories} directories all intact`,
    );
    assert.ok(confirmedSoFar.size >= KILLS / 2, "too few imports completed for the test to mean much");
    assert.ok(runsThatStored < KILLS, "no kill landed before the first import completed");
    assert.ok(killsDuringBlobWrites > 0, "no kill landed while a blob was being written");
  } finally {
    await store.close();
  }
});
