import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { putBlob } from "../../castore/blob-service.ts";
import { blake3 } from "../../castore/digest.ts";
import { Directory } from "../../castore/directory.ts";
import { putDirectories } from "../../castore/directory-service.ts";
import { CastoreError } from "../../castore/errors.ts";
import type { Node } from "../../castore/node.ts";
import { StorePath } from "../../nix-compat/store-path.ts";
import { openStore } from "../composition.ts";
import type { PathInfo } from "../path-info.ts";

const root = mkdtempSync(join(tmpdir(), "tvix-local-pathinfo-"));
after(() => rmSync(root, { recursive: true, force: true }));

function pathInfo(node: Node): PathInfo {
  return {
    storePath: new StorePath(new Uint8Array(randomBytes(20)), "x"),
    node,
    references: [],
    narSize: 1,
    narSha256: new Uint8Array(32),
    signatures: [],
  };
}

test("a PathInfo whose root directory or blob is not stored is refused, and nothing is recorded", async () => {
  const store = await openStore(`local://${join(root, "missing")}`);
  try {
    const contents = Buffer.from("contents");
    const file: Node = { kind: "file", name: "", digest: blake3(contents), size: contents.length, executable: false };
    const tree = Directory.fromNodes([{ ...file, name: "f" }]);
    const directory = tree.toNode("");
    for (const [node, what] of [
      [file, "blob"],
      [directory, "directory"],
    ] as const) {
      const info = pathInfo(node);
      await assert.rejects(store.pathInfos.put(info), (err: unknown) => {
        assert.ok(err instanceof CastoreError);
        assert.equal(err.code, "invalid-argument");
        assert.match(err.message, new RegExp(`^cannot add ${info.storePath.baseName}: its root ${what} b3:\\S+ is not in the store$`));
        return true;
      });
      assert.equal(await store.pathInfos.get(info.storePath.digest), undefined);
    }
    for await (const listed of store.pathInfos.list()) assert.fail(`unexpected ${listed.storePath.baseName}`);
    // Once the contents are there, the same PathInfos are accepted.
    await putBlob(store.blobs, contents);
    await putDirectories(store.directories, [tree]);
    for (const node of [file, directory, { kind: "symlink", name: "", target: "anything" } as const]) {
      const info = pathInfo(node);
      await store.pathInfos.put(info);
      assert.ok(await store.pathInfos.get(info.storePath.digest));
    }
  } finally {
    await store.close();
  }
});

test("a store path digest of the wrong length is refused", async () => {
  const store = await openStore(`local://${join(root, "digest")}`);
  try {
    await assert.rejects(store.pathInfos.get(new Uint8Array(32)), (err: unknown) => err instanceof CastoreError && err.code === "invalid-argument");
  } finally {
    await store.close();
  }
});
