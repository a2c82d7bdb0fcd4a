// Store ingestion and rendering against real Nix 2.8 on 160 seeded random trees (awkward names,
// modes, symlinks, sizes around multiples of 8 and past 1 MiB; some roots a lone file or
// symlink): a tree ingested into castore renders to the bytes of `nix-store --dump`; Nix's NAR
// ingested (in random chunks) gives the same castore root, renders back byte for byte, and its
// sha256 is `nix-hash`'s; renderNode writes what `nix-store --restore` does; and addLocalPath gives the store path, NAR hash, NAR size and content
// address of `nix-store --add` and `--add-fixed [--recursive] ALGO`. Nix adds into a chroot
// store in a temporary directory, so the real /nix/store is not touched.
import assert from "node:assert/strict";
import { lstatSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ingestPath } from "../../src/castore/fs/ingest.ts";
import { renderNode } from "../../src/castore/fs/render.ts";
import type { Node } from "../../src/castore/node.ts";
import { formatContentAddress } from "../../src/nix-compat/content-address.ts";
import { Hash } from "../../src/nix-compat/hash.ts";
import { addLocalPath, type AddPathOptions } from "../../src/store/add-path.ts";
import { openStore, type Store } from "../../src/store/composition.ts";
import { ingestNar } from "../../src/store/nar/ingest.ts";
import { renderNar } from "../../src/store/nar/render.ts";
import { describeTree, forEachConcurrently, nixDump, nixRestore } from "../support/nar.ts";
import { nix, nixClassic } from "../support/nix.ts";
import { createRandomTree, type TreeNodeKind } from "../support/random-tree.ts";
import { SeededRandom } from "../support/seeded-random.ts";

const TREES = 160;
const CONCURRENCY = 3;

interface Tree {
  seed: number;
  path: string;
  nixNar: Buffer;
  node?: Node;
}

function rootKind(seed: number): TreeNodeKind {
  if (seed % 12 === 5) return "regular";
  if (seed % 12 === 9) return "symlink";
  return "directory";
}

async function* randomChunks(nar: Buffer, seed: number): AsyncIterable<Uint8Array> {
  const random = new SeededRandom(seed);
  for (let at = 0; at < nar.length; ) {
    const size = random.pick([1, 7, 8, 9, 100, 4096, 65536, 1 << 20]);
    yield nar.subarray(at, at + size);
    at += size;
  }
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

describe(`store ingestion and rendering against Nix on ${TREES} random trees`, () => {
  let work: string;
  let nixStore: string;
  let store: Store;
  const trees: Tree[] = [];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "tvix-store-ingest-diff-"));
    nixStore = join(work, "nix-chroot");
    store = await openStore("memory://");
    for (let seed = 0; seed < TREES; seed++) {
      const path = join(work, `tree-${seed}`);
      createRandomTree(path, { seed: 7000 + seed, entries: 4 + (seed % 45), root: rootKind(seed) });
      trees.push({ seed, path, nixNar: Buffer.alloc(0) });
    }
    await forEachConcurrently(trees, CONCURRENCY, async (tree) => {
      tree.nixNar = await nixDump(tree.path);
    });
  });

  after(async () => {
    await store.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("ingestPath then renderNar writes the bytes nix-store --dump writes", async () => {
    for (const tree of trees) {
      tree.node = await ingestPath(tree.path, store.blobs, store.directories);
      const ours = await collect(renderNar(tree.node, store.blobs, store.directories));
      assert.ok(ours.equals(tree.nixNar), `seed ${tree.seed}: NARs differ at byte ${firstDifference(ours, tree.nixNar)} (ours ${ours.length} bytes, Nix ${tree.nixNar.length})`);
    }
  });

  it("ingestNar of Nix's NAR gives the same root, renders back identically, and hashes as nix-hash does", async () => {
    const nixHashes = nixClassic("nix-hash", ["--type", "sha256", "--base32", ...trees.map((t) => t.path)]);
    assert.equal(nixHashes.length, trees.length);
    for (const [i, tree] of trees.entries()) {
      const fresh = await openStore("memory://");
      const result = await ingestNar(randomChunks(tree.nixNar, tree.seed), fresh.blobs, fresh.directories);
      assert.equal(result.narSize, tree.nixNar.length, `seed ${tree.seed}`);
      assert.equal(new Hash("sha256", result.narSha256).encode("nix32"), nixHashes[i], `seed ${tree.seed}`);
      assert.deepEqual(result.node, tree.node ?? (await ingestPath(tree.path, fresh.blobs, fresh.directories)), `seed ${tree.seed}`);
      const back = await collect(renderNar(result.node, fresh.blobs, fresh.directories));
      assert.ok(back.equals(tree.nixNar), `seed ${tree.seed}: round trip differs at byte ${firstDifference(back, tree.nixNar)}`);
      await fresh.close();
    }
  });

  it("renderNode writes what nix-store --restore writes from the same NAR, modes included", async () => {
    await forEachConcurrently(trees.filter((t) => t.seed % 3 === 0), CONCURRENCY, async (tree) => {
      const ours = join(work, `rendered-${tree.seed}`);
      const theirs = join(work, `nix-restored-${tree.seed}`);
      await renderNode(tree.node ?? (await ingestPath(tree.path, store.blobs, store.directories)), store.blobs, store.directories, ours);
      const nix = await nixRestore(tree.nixNar, theirs);
      assert.equal(nix.status, 0, `seed ${tree.seed}: nix-store --restore failed: ${nix.stderr}`);
      assert.deepEqual(describeTree(ours), describeTree(theirs), `seed ${tree.seed}`);
    });
  });

  /** What Nix stored for `paths`: path, NAR hash and size, content address. */
  function nixPathInfos(paths: string[]): string[] {
    const infos = JSON.parse(nix(["path-info", "--store", nixStore, "--json", ...paths]).join("\n")) as { path: string; narHash: string; narSize: number; ca: string }[];
    const byPath = new Map(infos.map((info) => [info.path, `${info.path} ${info.narHash} ${info.narSize} ${info.ca}`]));
    return paths.map((path) => byPath.get(path) ?? `${path} missing`);
  }

  async function ourPathInfos(paths: string[], options: AddPathOptions): Promise<string[]> {
    const out: string[] = [];
    for (const path of paths) {
      const info = await addLocalPath(store, path, options);
      out.push(`${info.storePath.toAbsolute()} ${new Hash("sha256", info.narSha256).toSri()} ${info.narSize} ${formatContentAddress(info.ca!)}`);
    }
    return out;
  }

  it("addLocalPath gives the store paths and metadata of nix-store --add and --add-fixed", async () => {
    const paths = trees.map((t) => t.path);
    const added = nixClassic("nix-store", ["--store", nixStore, "--add", ...paths]);
    assert.equal(added.length, paths.length);
    assert.deepEqual(await ourPathInfos(paths, {}), nixPathInfos(added), "nix-store --add");

    const some = paths.filter((_, i) => i % 4 === 0);
    const sha1 = nixClassic("nix-store", ["--store", nixStore, "--add-fixed", "--recursive", "sha1", ...some]);
    assert.deepEqual(await ourPathInfos(some, { algo: "sha1" }), nixPathInfos(sha1), "--add-fixed --recursive sha1");

    const files = paths.filter((path) => lstatSync(path).isFile());
    assert.ok(files.length >= 10);
    for (const algo of ["sha256", "md5"] as const) {
      const flat = nixClassic("nix-store", ["--store", nixStore, "--add-fixed", algo, ...files]);
      assert.deepEqual(await ourPathInfos(files, { method: "flat", algo }), nixPathInfos(flat), `--add-fixed ${algo}`);
    }
  });
});
