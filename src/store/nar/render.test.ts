import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { putBlob } from "../../castore/blob-service.ts";
import { blake3 } from "../../castore/digest.ts";
import { Directory } from "../../castore/directory.ts";
import { putDirectories } from "../../castore/directory-service.ts";
import type { CastoreError } from "../../castore/errors.ts";
import { ingestPath } from "../../castore/fs/ingest.ts";
import { MemoryBlobService } from "../../castore/memory/blob-service.ts";
import { MemoryDirectoryService } from "../../castore/memory/directory-service.ts";
import type { FileNode, Node } from "../../castore/node.ts";
import { hashBytes } from "../../nix-compat/hash.ts";
import { NarReader } from "../../nix-compat/nar/reader.ts";
import { createSampleTree, narBytes } from "../../../test/support/nar.ts";
import { calculateNar, hashNar, renderNar } from "./render.ts";

async function collect(stream: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; chunks: Uint8Array[] }> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { bytes: Buffer.concat(chunks), chunks };
}

describe("renderNar", () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), "tvix-render-nar-"));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("writes the NAR the filesystem writer writes, in chunks that stay valid", async () => {
    const root = join(work, "tree");
    mkdirSync(root);
    createSampleTree(join(root, "sample"));
    // Files that are inlined, that fill chunks, and that bypass them.
    for (const size of [65535, 65536, 65537, 1 << 20, (1 << 20) + 3, 3 << 20]) writeFileSync(join(root, `f${size}`), Buffer.alloc(size, size % 251));
    const blobs = new MemoryBlobService();
    const directories = new MemoryDirectoryService();
    const node = await ingestPath(root, blobs, directories);
    const { bytes, chunks } = await collect(renderNar(node, blobs, directories));
    assert.ok(bytes.equals(narBytes(root)));
    assert.ok(chunks.length > 3);
    // Kept without copying, the chunks still add up to the NAR: none was reused.
    assert.ok(Buffer.concat(chunks).equals(bytes));
  });

  it("gives the NAR size and hashes calculateNar and hashNar promise", async () => {
    const root = join(work, "sample");
    createSampleTree(root);
    const blobs = new MemoryBlobService();
    const directories = new MemoryDirectoryService();
    const node = await ingestPath(root, blobs, directories);
    const nar = narBytes(root);
    const { narSize, narSha256 } = await calculateNar(node, blobs, directories);
    assert.equal(narSize, nar.length);
    assert.deepEqual(Buffer.from(narSha256), hashBytes("sha256", nar).digest);
    const both = await hashNar(node, blobs, directories, ["sha1", "sha512"]);
    assert.equal(both.narSize, nar.length);
    assert.ok(both.hashes[0].equals(hashBytes("sha1", nar)));
    assert.ok(both.hashes[1].equals(hashBytes("sha512", nar)));
  });

  it("renders lone files and symlinks as NAR roots", async () => {
    const blobs = new MemoryBlobService();
    const directories = new MemoryDirectoryService();
    writeFileSync(join(work, "lone"), "eight by");
    const file = await ingestPath(join(work, "lone"), blobs, directories);
    assert.ok((await collect(renderNar(file, blobs, directories))).bytes.equals(narBytes(join(work, "lone"))));
    writeFileSync(join(work, "empty"), "", { mode: 0o755 });
    const empty: Node = { kind: "file", name: "", digest: blake3(new Uint8Array(0)), size: 0, executable: true };
    assert.ok((await collect(renderNar(empty, blobs, directories))).bytes.equals(narBytes(join(work, "empty"))));
    const link: Node = { kind: "symlink", name: "", target: "t\xff" };
    assert.equal((await collect(renderNar(link, blobs, directories))).bytes.subarray(-32, -16).toString("latin1"), "\x02\0\0\0\0\0\0\0t\xff\0\0\0\0\0\0");
  });

  it("renders trees nested deeper than the call stack", async () => {
    const blobs = new MemoryBlobService();
    const directories = new MemoryDirectoryService();
    const depth = 20_000;
    const leaf: FileNode = { kind: "file", name: "leaf", digest: await putBlob(blobs, Buffer.from("bottom")), size: 6, executable: false };
    const chain = [new Directory([], [leaf])];
    for (let i = 1; i < depth; i++) chain.push(new Directory([chain[i - 1].toNode("d")]));
    await putDirectories(directories, chain);
    const nar = (await collect(renderNar(chain[depth - 1].toNode(""), blobs, directories))).bytes;
    let files = 0;
    const reader = new NarReader(
      { directory() {}, entry() {}, directoryEnd() {}, file: () => files++, contents() {}, fileEnd() {}, symlink() {} },
      { maxDepth: depth },
    );
    reader.push(nar);
    reader.end();
    assert.equal(files, 1);
  });

  it("fails with data-loss naming what is missing or has the wrong length", async () => {
    const blobs = new MemoryBlobService();
    const directories = new MemoryDirectoryService();
    const present: FileNode = { kind: "file", name: "present", digest: await putBlob(blobs, Buffer.from("12345")), size: 5, executable: false };
    const absent: FileNode = { kind: "file", name: "absent", digest: blake3(Buffer.from("gone")), size: 4, executable: false };
    const inner = new Directory([], [absent]);
    const root = new Directory([inner.toNode("deep")], [present]);
    await putDirectories(directories, [inner, root]);
    const fails = async (node: Node, message: RegExp): Promise<void> => {
      await assert.rejects(collect(renderNar(node, blobs, directories)), (err: CastoreError) => {
        assert.equal(err.code, "data-loss");
        assert.match(err.message, message);
        return true;
      });
    };
    await fails(root.toNode(""), /^blob b3:\S+ of file 'deep\/absent' is missing$/);
    await fails({ kind: "directory", name: "", digest: blake3(Buffer.from("x")), size: 2 }, /^directory b3:\S+ is missing$/);
    await fails({ ...present, name: "", size: 6 }, /has 5 bytes, but the file has 6/);
    await fails({ ...present, name: "", size: 4 }, /is longer than the file's 4 bytes/);
  });
});
