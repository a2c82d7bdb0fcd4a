import assert from "node:assert/strict";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { restoreNar } from "../../nix-compat/nar/restore.ts";
import { createSampleTree, describeTree, narBytes } from "../../../test/support/nar.ts";
import { createRandomTree } from "../../../test/support/random-tree.ts";
import { putBlob } from "../blob-service.ts";
import { blake3 } from "../digest.ts";
import { Directory } from "../directory.ts";
import { putDirectories } from "../directory-service.ts";
import type { CastoreError } from "../errors.ts";
import { MemoryBlobService } from "../memory/blob-service.ts";
import { MemoryDirectoryService } from "../memory/directory-service.ts";
import type { FileNode } from "../node.ts";
import { ingestPath } from "./ingest.ts";
import { renderNode } from "./render.ts";

describe("renderNode", () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), "tvix-render-"));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("writes back what was ingested, with the modes nix-store --restore gives", async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const source = join(work, `source-${seed}`);
      if (seed === 1) {
        mkdirSync(source);
        createSampleTree(join(source, "sample"));
      } else {
        createRandomTree(source, { seed, entries: 40, root: seed === 5 ? "regular" : seed === 6 ? "symlink" : "directory" });
      }
      const blobs = new MemoryBlobService();
      const directories = new MemoryDirectoryService();
      const node = await ingestPath(source, blobs, directories);
      const rendered = join(work, `rendered-${seed}`);
      await renderNode(node, blobs, directories, rendered);
      const restored = join(work, `restored-${seed}`);
      await restoreNar([narBytes(source)], restored);
      assert.deepEqual(describeTree(rendered), describeTree(restored), `seed ${seed}`);
    }
  });

  it("refuses a target that exists, and leaves it alone", async () => {
    const blobs = new MemoryBlobService();
    const directories = new MemoryDirectoryService();
    const node: FileNode = { kind: "file", name: "", digest: await putBlob(blobs, Buffer.from("new")), size: 3, executable: false };
    const target = join(work, "taken");
    writeFileSync(target, "old");
    await assert.rejects(renderNode(node, blobs, directories, target), /cannot restore to '.*taken': it already exists/);
    assert.equal(readFileSync(target, "utf8"), "old");
    mkdirSync(join(work, "taken-dir"));
    const tree = new Directory([], [{ ...node, name: "f" }]);
    await putDirectories(directories, [tree]);
    await assert.rejects(renderNode(tree.toNode(""), blobs, directories, join(work, "taken-dir")), /already exists/);
    assert.deepEqual(readdirSync(join(work, "taken-dir")), []);
  });

  it("fails with data-loss on a missing or short blob, leaving nothing behind", async () => {
    const parent = join(work, "lossy");
    mkdirSync(parent);
    const blobs = new MemoryBlobService();
    const directories = new MemoryDirectoryService();
    const present: FileNode = { kind: "file", name: "ok", digest: await putBlob(blobs, Buffer.from("fine")), size: 4, executable: false };
    const missing: FileNode = { kind: "file", name: "zz-missing", digest: blake3(Buffer.from("absent")), size: 6, executable: false };
    const inner = new Directory([], [present, missing]);
    const root = new Directory([inner.toNode("sub")], [present]);
    await putDirectories(directories, [inner, root]);
    await assert.rejects(renderNode(root.toNode(""), blobs, directories, join(parent, "out")), (err: CastoreError) => {
      assert.equal(err.code, "data-loss");
      assert.match(err.message, /^blob b3:\S+ of file 'sub\/zz-missing' is missing$/);
      return true;
    });
    const short: FileNode = { ...present, size: 5 };
    await assert.rejects(renderNode(short, blobs, directories, join(parent, "short")), /has 4 bytes, but the file has 5/);
    const long: FileNode = { ...present, size: 3 };
    await assert.rejects(renderNode(long, blobs, directories, join(parent, "long")), /is longer than the file's 3 bytes/);
    await assert.rejects(renderNode({ kind: "directory", name: "", digest: blake3(Buffer.from("no dir")), size: 0 }, blobs, directories, join(parent, "nodir")), {
      code: "data-loss",
      message: /^directory b3:\S+ is missing$/,
    });
    assert.deepEqual(readdirSync(parent), []);
  });

  it("writes a lone file or symlink as itself", async () => {
    const blobs = new MemoryBlobService();
    const directories = new MemoryDirectoryService();
    const digest = await putBlob(blobs, Buffer.from("#!/bin/sh\n"));
    await renderNode({ kind: "file", name: "", digest, size: 10, executable: true }, blobs, directories, join(work, "lone"));
    assert.equal(lstatSync(join(work, "lone")).mode & 0o777, 0o755);
    assert.equal(readFileSync(join(work, "lone"), "utf8"), "#!/bin/sh\n");
    await renderNode({ kind: "symlink", name: "", target: "../x\xff" }, blobs, directories, join(work, "lone-link"));
    assert.deepEqual(readlinkSync(join(work, "lone-link"), { encoding: "buffer" }), Buffer.from("../x\xff", "latin1"));
  });
});
