import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { putBlob, readBlob } from "../../castore/blob-service.ts";
import { blake3, digestHex } from "../../castore/digest.ts";
import { Directory } from "../../castore/directory.ts";
import { putDirectories } from "../../castore/directory-service.ts";
import { StorePath } from "../../nix-compat/store-path.ts";
import { describeStoreBackend } from "../../../test/support/store-backend-suite.ts";
import { openStore } from "../composition.ts";
import { cacheStore } from "./store.ts";

describeStoreBackend("cache://?near=memory://&far=memory://", () => openStore(`cache://?near=${encodeURIComponent("memory://")}&far=${encodeURIComponent("memory://")}`));

test("reads go through to far; trees and path infos (with their contents) found there are kept near, far is never written", async () => {
  // A local near store refuses a PathInfo whose contents it lacks: the cache must bring them.
  const near = await openStore(`local://${mkdtempSync(join(tmpdir(), "tvix-cache-near-"))}`);
  const far = await openStore("memory://");
  const cache = cacheStore(near, far);
  const contents = Buffer.from("far away");
  await putBlob(far.blobs, contents);
  const leaf = Directory.fromNodes([{ kind: "file", name: "f", digest: blake3(contents), size: contents.length, executable: false }]);
  const root = Directory.fromNodes([leaf.toNode("sub")]);
  await putDirectories(far.directories, [leaf, root]);
  const storePath = new StorePath(new Uint8Array(20).fill(7), "far");
  await far.pathInfos.put({ storePath, node: root.toNode(""), references: [], narSize: 1, narSha256: new Uint8Array(32), signatures: [] });

  assert.deepEqual(await readBlob(cache.blobs, blake3(contents)), contents);
  assert.equal(await near.blobs.has(blake3(contents)), false, "a blob read alone is read through");
  assert.equal((await cache.pathInfos.get(storePath.digest))?.storePath.baseName, storePath.baseName);
  assert.equal((await near.pathInfos.get(storePath.digest))?.storePath.baseName, storePath.baseName, "path info not kept near");
  assert.ok(await near.blobs.has(blake3(contents)), "the path's contents were not brought near");
  const walked: string[] = [];
  for await (const d of cache.directories.getRecursive(root.digest())) walked.push(digestHex(d.digest()));
  assert.deepEqual(walked, [digestHex(root.digest()), digestHex(leaf.digest())]);
  assert.ok(await near.directories.get(leaf.digest()), "directories not kept near");

  const written = await putBlob(cache.blobs, Buffer.from("new"));
  assert.ok(await near.blobs.has(written));
  assert.equal(await far.blobs.has(written), false);
  await cache.close();
});
