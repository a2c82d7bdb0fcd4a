import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { BlobService } from "../castore/blob-service.ts";
import { formatDigest } from "../castore/digest.ts";
import type { CastoreError } from "../castore/errors.ts";
import { ingestPath } from "../castore/fs/ingest.ts";
import type { Node } from "../castore/node.ts";
import { hashBytes } from "../nix-compat/hash.ts";
import { StorePath } from "../nix-compat/store-path.ts";
import { createRandomTree } from "../../test/support/random-tree.ts";
import { computeClosure, copyClosure, type CopyProgress } from "./closure.ts";
import { openStore, type Store } from "./composition.ts";
import { calculateNar, renderNar } from "./nar/render.ts";
import type { PathInfo } from "./path-info.ts";

function storePath(name: string): StorePath {
  return new StorePath(hashBytes("sha1", name).digest, name);
}

async function narOf(store: Store, node: Node): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of renderNar(node, store.blobs, store.directories)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Puts a path whose contents are the tree, file or symlink at `source`. */
async function addPath(store: Store, name: string, source: string, references: string[]): Promise<PathInfo> {
  const node = await ingestPath(source, store.blobs, store.directories);
  const { narSize, narSha256 } = await calculateNar(node, store.blobs, store.directories);
  return store.pathInfos.put({ storePath: storePath(name), node, references: references.map(storePath), narSize, narSha256, signatures: [] });
}

describe("closures", () => {
  let work: string;
  let from: Store;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "tvix-closure-"));
    from = await openStore("memory://");
    // app → lib, tool; lib → libc; tool → libc, lib; libc → itself. A lone file and a symlink too.
    const sources: Record<string, string> = {};
    for (const [i, name] of ["app", "lib", "tool", "libc"].entries()) {
      sources[name] = join(work, name);
      createRandomTree(sources[name], { seed: 50 + i, entries: 25 });
    }
    writeFileSync(join(work, "data"), "a lone file\n");
    mkdirSync(join(work, "empty"));
    await addPath(from, "libc", sources.libc, ["libc"]);
    await addPath(from, "lib", sources.lib, ["libc", "data"]);
    await addPath(from, "tool", sources.tool, ["libc", "lib"]);
    await addPath(from, "app", sources.app, ["lib", "tool", "empty"]);
    await addPath(from, "data", join(work, "data"), []);
    await addPath(from, "empty", join(work, "empty"), []);
    await addPath(from, "unrelated", join(work, "data"), []);
  });
  after(async () => {
    await from.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("computeClosure lists each path once, references before referrers", async () => {
    const closure = await computeClosure(from.pathInfos, [storePath("app")]);
    const names = closure.map((info) => info.storePath.name);
    assert.deepEqual([...names].sort(), ["app", "data", "empty", "lib", "libc", "tool"]);
    for (const [i, info] of closure.entries()) {
      for (const reference of info.references) assert.ok(names.indexOf(reference.name) <= i, `${reference.name} comes after ${info.storePath.name}`);
    }
    assert.deepEqual((await computeClosure(from.pathInfos, [storePath("libc"), storePath("data")])).map((i) => i.storePath.name), ["libc", "data"]);
    assert.deepEqual(await computeClosure(from.pathInfos, []), []);
  });

  it("computeClosure follows chains deeper than the call stack", async () => {
    const store = await openStore("memory://");
    const depth = 20_000;
    const { narSize, narSha256 } = await calculateNar({ kind: "symlink", name: "", target: "x" }, store.blobs, store.directories);
    for (let i = 0; i < depth; i++) {
      const references = i + 1 < depth ? [storePath(`chain-${i + 1}`)] : [];
      await store.pathInfos.put({ storePath: storePath(`chain-${i}`), node: { kind: "symlink", name: "", target: "x" }, references, narSize, narSha256, signatures: [] });
    }
    const closure = await computeClosure(store.pathInfos, [storePath("chain-0")]);
    assert.equal(closure.length, depth);
    assert.equal(closure[0].storePath.name, `chain-${depth - 1}`);
    assert.equal(closure.at(-1)!.storePath.name, "chain-0");
    await store.close();
  });

  it("computeClosure fails with not-found naming a missing path and who refers to it", async () => {
    const store = await openStore("memory://");
    await addPath(store, "top", join(work, "data"), ["gone"]);
    await assert.rejects(computeClosure(store.pathInfos, [storePath("top")]), (err: CastoreError) => {
      assert.equal(err.code, "not-found");
      assert.equal(err.message, `path '${storePath("gone").baseName}', referenced by '${storePath("top").baseName}', is not in the store`);
      return true;
    });
    await assert.rejects(computeClosure(store.pathInfos, [storePath("nothing")]), { code: "not-found", message: `path '${storePath("nothing").baseName}' is not in the store` });
  });

  it("copyClosure copies a closure between memory stores, in order, with progress", async () => {
    const to = await openStore("memory://");
    const order: string[] = [];
    const put = to.pathInfos.put.bind(to.pathInfos);
    to.pathInfos.put = async (info) => {
      // Every reference is in place before its referrer arrives.
      for (const reference of info.references) if (!reference.equals(info.storePath)) assert.ok(await to.pathInfos.get(reference.digest), `${reference.name} before ${info.storePath.name}`);
      order.push(info.storePath.name);
      return put(info);
    };
    const progress: CopyProgress[] = [];
    const copied = await copyClosure(from, to, [storePath("app")], { onProgress: (p) => progress.push(p) });
    assert.deepEqual(copied.map((i) => i.storePath.name), order);
    assert.equal(order.length, 6);
    for (const info of copied) {
      const original = (await from.pathInfos.get(info.storePath.digest))!;
      assert.deepEqual(await to.pathInfos.get(info.storePath.digest), original);
      assert.ok((await narOf(to, info.node)).equals(await narOf(from, original.node)), info.storePath.name);
    }
    assert.equal(await to.pathInfos.get(storePath("unrelated").digest), undefined);
    assert.deepEqual(progress[0], { paths: 0, totalPaths: 6, bytes: 0 });
    const last = progress.at(-1)!;
    assert.equal(last.paths, 6);
    assert.ok(last.bytes > 0);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i].bytes >= progress[i - 1].bytes && progress[i].paths >= progress[i - 1].paths);

    // A second copy finds everything there and copies nothing.
    const again: CopyProgress[] = [];
    assert.deepEqual(await copyClosure(from, to, [storePath("app")], { onProgress: (p) => again.push(p) }), []);
    assert.deepEqual(again, [{ paths: 0, totalPaths: 0, bytes: 0 }]);
    await to.close();
  });

  it("copyClosure skips paths the destination has, and puts no PathInfo whose blobs it could not copy", async () => {
    const to = await openStore("memory://");
    await copyClosure(from, to, [storePath("lib")]);
    const copied = await copyClosure(from, to, [storePath("app")]);
    assert.deepEqual(copied.map((i) => i.storePath.name).sort(), ["app", "empty", "tool"]);

    // A source that lost a blob of "tool": the copy fails with data-loss, tool and app stay absent.
    const lossy = await openStore("memory://");
    const broken: BlobService = Object.create(from.blobs) as BlobService;
    const toolInfo = (await from.pathInfos.get(storePath("tool").digest))!;
    let lost = "";
    broken.read = async (digest) => {
      if (lost === "") lost = formatDigest(digest);
      return formatDigest(digest) === lost ? undefined : from.blobs.read(digest);
    };
    await copyClosure(from, lossy, [storePath("lib")]);
    await assert.rejects(copyClosure({ ...from, blobs: broken }, lossy, [storePath("tool")]), (err: CastoreError) => {
      assert.equal(err.code, "data-loss");
      assert.equal(err.message, `blob ${lost} is missing from the source store`);
      return true;
    });
    assert.equal(await lossy.pathInfos.get(toolInfo.storePath.digest), undefined);
    assert.ok(await lossy.pathInfos.get(storePath("lib").digest));
    await to.close();
    await lossy.close();
  });
});
