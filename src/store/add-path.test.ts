import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readBlob } from "../castore/blob-service.ts";
import { HASH_ALGOS, hashFile } from "../nix-compat/hash.ts";
import { narHash } from "../nix-compat/nar/writer.ts";
import { makeFixedOutputPath } from "../nix-compat/store-path.ts";
import { createSampleTree } from "../../test/support/nar.ts";
import { addLocalPath } from "./add-path.ts";
import { openStore, type Store } from "./composition.ts";
import { calculateNar } from "./nar/render.ts";

describe("addLocalPath", () => {
  let work: string;
  let tree: string;
  let file: string;
  let store: Store;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "tvix-add-path-"));
    tree = join(work, "tree");
    createSampleTree(tree);
    file = join(work, "file.txt");
    writeFileSync(file, "flat contents\n", { mode: 0o755 });
    store = await openStore("memory://");
  });
  after(async () => {
    await store.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("adds a tree under the source path Nix computes, with its NAR hash and size", async () => {
    const info = await addLocalPath(store, tree);
    const { hash, size } = narHash(tree);
    assert.equal(info.storePath.baseName, makeFixedOutputPath("tree", "recursive", hash).baseName);
    assert.equal(info.narSize, size);
    assert.deepEqual(Buffer.from(info.narSha256), hash.digest);
    assert.deepEqual(info.references, []);
    assert.deepEqual(info.signatures, []);
    assert.equal(info.ca?.method, "recursive");
    assert.ok(info.ca?.hash.equals(hash));
    assert.deepEqual(await store.pathInfos.get(info.storePath.digest), info);
    const recalculated = await calculateNar(info.node, store.blobs, store.directories);
    assert.equal(recalculated.narSize, size);
  });

  it("adds with every algorithm, flat and recursive, under another name and store directory", async () => {
    for (const algo of HASH_ALGOS) {
      const recursive = await addLocalPath(store, tree, { algo, name: "renamed", storeDir: "/other/store" });
      assert.equal(recursive.storePath.baseName, makeFixedOutputPath("renamed", "recursive", narHash(tree, algo).hash, { storeDir: "/other/store" }).baseName, algo);
      assert.deepEqual(Buffer.from(recursive.narSha256), narHash(tree).hash.digest);
      const flat = await addLocalPath(store, file, { algo, method: "flat" });
      assert.ok(flat.ca?.hash.equals(hashFile(algo, file)));
      assert.equal(flat.storePath.baseName, makeFixedOutputPath("file.txt", "flat", hashFile(algo, file)).baseName, algo);
      assert.equal(flat.node.kind, "file");
      assert.equal(flat.node.kind === "file" && flat.node.executable, true);
      assert.deepEqual(Buffer.from(flat.narSha256), narHash(file).hash.digest);
      assert.deepEqual(await readBlob(store.blobs, flat.node.kind === "file" ? flat.node.digest : new Uint8Array()), Buffer.from("flat contents\n"));
    }
  });

  it("returns the stored PathInfo when the path is already there", async () => {
    const first = await addLocalPath(store, file);
    const second = await addLocalPath(store, file);
    assert.equal(second, await store.pathInfos.get(first.storePath.digest));
    assert.deepEqual(first, second);
  });

  it("refuses a flat add of anything but a regular file, and names Nix refuses", async () => {
    await assert.rejects(addLocalPath(store, tree, { method: "flat" }), /cannot add '.*tree' flat: it is a directory, not a regular file/);
    symlinkSync("file.txt", join(work, "link"));
    await assert.rejects(addLocalPath(store, join(work, "link"), { method: "flat" }), /it is a symlink, not a regular file/);
    await assert.rejects(addLocalPath(store, file, { name: "bad name" }), /contains illegal character ' '/);
    const count = async (): Promise<number> => {
      let n = 0;
      for await (const info of store.pathInfos.list()) if (info.storePath.name === "bad name" || info.storePath.name === "link") n++;
      return n;
    };
    assert.equal(await count(), 0);
  });
});
