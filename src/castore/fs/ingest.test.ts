import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BlobWriter, readBlob } from "../blob-service.ts";
import { blake3, digestHex, EMPTY_DIGEST } from "../digest.ts";
import type { Directory } from "../directory.ts";
import type { DirectoryService } from "../directory-service.ts";
import { CastoreError } from "../errors.ts";
import { MemoryBlobService } from "../memory/blob-service.ts";
import { MemoryDirectoryService } from "../memory/directory-service.ts";
import type { Node } from "../node.ts";
import { ingestPath } from "./ingest.ts";

function services(): { blobs: MemoryBlobService; directories: MemoryDirectoryService } {
  return { blobs: new MemoryBlobService(), directories: new MemoryDirectoryService() };
}

async function tree(directories: DirectoryService, node: Node): Promise<Directory[]> {
  assert.equal(node.kind, "directory");
  const all: Directory[] = [];
  for await (const directory of directories.getRecursive(node.digest)) all.push(directory);
  return all;
}

describe("ingestPath", () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), "tvix-ingest-"));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("stores contents, the executable bit, symlinks and nested and empty directories", async () => {
    const root = join(work, "sample");
    mkdirSync(join(root, "sub/empty"), { recursive: true });
    writeFileSync(join(root, "a"), "hello");
    writeFileSync(join(root, "x"), "#!/bin/sh\n");
    chmodSync(join(root, "x"), 0o744);
    writeFileSync(join(root, "group-x"), "");
    chmodSync(join(root, "group-x"), 0o654); // only the owner's bit counts, as in a NAR
    writeFileSync(join(root, "sub/big"), Buffer.alloc(3 << 20, 0x61)); // several read chunks
    symlinkSync("../a\x02", join(root, "sub/link"));
    const { blobs, directories } = services();
    const node = await ingestPath(root, blobs, directories);
    assert.equal(node.name, "");
    const [top, sub, empty] = await tree(directories, node);
    assert.deepEqual(top.nodes().map((n) => [n.name, n.kind]), [["a", "file"], ["group-x", "file"], ["sub", "directory"], ["x", "file"]]);
    const files = new Map(top.files.map((f) => [f.name, f]));
    assert.equal(files.get("a")!.size, 5);
    assert.deepEqual(files.get("a")!.digest, blake3(Buffer.from("hello")));
    assert.equal(files.get("x")!.executable, true);
    assert.equal(files.get("a")!.executable, false);
    assert.equal(files.get("group-x")!.executable, false);
    assert.deepEqual(files.get("group-x")!.digest, EMPTY_DIGEST);
    assert.deepEqual((await readBlob(blobs, files.get("x")!.digest))?.toString(), "#!/bin/sh\n");
    assert.deepEqual(sub.symlinks, [{ kind: "symlink", name: "link", target: "../a\x02" }]);
    assert.equal(sub.files[0].size, 3 << 20);
    assert.deepEqual((await readBlob(blobs, sub.files[0].digest))?.equals(Buffer.alloc(3 << 20, 0x61)), true);
    assert.equal(empty.entryCount, 0);
    assert.equal(sub.directories[0].name, "empty");
  });

  it("gives a lone file or symlink as the root node itself, not a directory", async () => {
    const { blobs, directories } = services();
    writeFileSync(join(work, "lone"), "contents");
    chmodSync(join(work, "lone"), 0o755);
    assert.deepEqual(await ingestPath(join(work, "lone"), blobs, directories), {
      kind: "file",
      name: "",
      digest: blake3(Buffer.from("contents")),
      size: 8,
      executable: true,
    });
    symlinkSync("/nowhere", join(work, "lone-link"));
    assert.deepEqual(await ingestPath(join(work, "lone-link"), blobs, directories), { kind: "symlink", name: "", target: "/nowhere" });
  });

  it("keeps names and targets as bytes, sorted by bytes, whatever their encoding", async () => {
    const root = Buffer.from(join(work, "bytes"));
    mkdirSync(root);
    const names = [Buffer.from([0xff]), Buffer.from("\uFF61"), Buffer.from("\u{1F600}"), Buffer.from("a\nb")];
    for (const name of names) writeFileSync(Buffer.concat([root, Buffer.from("/"), name]), name);
    symlinkSync(Buffer.from([0x74, 0x80]), Buffer.concat([root, Buffer.from("/link")]));
    const { blobs, directories } = services();
    const [top] = await tree(directories, await ingestPath(root.toString(), blobs, directories));
    // Byte order: U+FF61 before U+1F600, unlike UTF-16 order.
    assert.deepEqual(top.files.map((f) => f.name), [...names].sort(Buffer.compare).map((n) => n.toString("latin1")));
    for (const file of top.files) assert.deepEqual(await readBlob(blobs, file.digest), Buffer.from(file.name, "latin1"));
    assert.equal(top.symlinks[0].target, "\x74\x80");
  });

  it("leaves out what the filter refuses, by path relative to the root", async () => {
    const root = join(work, "filtered");
    mkdirSync(join(root, "keep/drop"), { recursive: true });
    mkdirSync(join(root, ".git"));
    writeFileSync(join(root, ".git/config"), "x");
    writeFileSync(join(root, "keep/file"), "y");
    writeFileSync(join(root, "keep/drop/file"), "z");
    const seen: string[] = [];
    const { blobs, directories } = services();
    const node = await ingestPath(root, blobs, directories, {
      filter: (path) => {
        seen.push(path);
        return path !== ".git" && path !== "keep/drop";
      },
    });
    const [top, keep] = await tree(directories, node);
    assert.deepEqual(top.nodes().map((n) => n.name), ["keep"]);
    assert.deepEqual(keep.nodes().map((n) => n.name), ["file"]);
    assert.deepEqual(seen.sort(), [".git", "keep", "keep/drop", "keep/file"]);
  });

  it("refuses FIFOs and sockets with the path, as Nix does, and stores no directory", async () => {
    const root = join(work, "fifo");
    mkdirSync(join(root, "sub"), { recursive: true });
    writeFileSync(join(root, "sub/file"), "data");
    execFileSync("mkfifo", [join(root, "sub/pipe")]);
    const { blobs, directories } = services();
    await assert.rejects(ingestPath(root, blobs, directories), (err: CastoreError) => {
      assert.equal(err.code, "invalid-argument");
      assert.equal(err.message, `file '${join(root, "sub/pipe")}' has an unsupported type`);
      return true;
    });
    await assert.rejects(ingestPath(join(root, "sub/pipe"), blobs, directories), /has an unsupported type/);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(work, "socket"), resolve));
    try {
      await assert.rejects(ingestPath(join(work, "socket"), blobs, directories), { message: `file '${join(work, "socket")}' has an unsupported type` });
    } finally {
      server.close();
    }
    // The file beside the FIFO may be in the blob service, but no directory was stored.
    rmSync(join(root, "sub/pipe"));
    const other = services();
    const complete = await ingestPath(root, other.blobs, other.directories);
    for await (const directory of await tree(other.directories, complete)) {
      assert.equal(await directories.get(directory.digest()), undefined, `directory ${digestHex(directory.digest())} is visible after the failure`);
    }
  });

  it("fails when a blob write fails, storing no directory and leaving no upload running", async () => {
    const root = join(work, "many");
    mkdirSync(root);
    for (let i = 0; i < 100; i++) writeFileSync(join(root, `f${i}`), `file ${i}`);
    let writes = 0;
    let open = 0;
    class FailingBlobService extends MemoryBlobService {
      override openWrite(): BlobWriter {
        const writer = super.openWrite();
        open++;
        return {
          write: async (chunk) => {
            await new Promise((resolve) => setImmediate(resolve));
            if (++writes === 30) throw new Error("disk on fire");
            return writer.write(chunk);
          },
          close: async () => {
            open--;
            return writer.close();
          },
          abort: async () => {
            open--;
            return writer.abort();
          },
        };
      }
    }
    const { directories } = services();
    let puts = 0;
    const putMultiple = directories.putMultiple.bind(directories);
    directories.putMultiple = () => {
      puts++;
      return putMultiple();
    };
    await assert.rejects(ingestPath(root, new FailingBlobService(), directories), /disk on fire/);
    assert.equal(open, 0);
    assert.equal(puts, 0);
  });

  it("fails on a missing path with the system's error", async () => {
    const { blobs, directories } = services();
    await assert.rejects(ingestPath(join(work, "absent"), blobs, directories), { code: "ENOENT" });
  });

  it("ingests the same tree to the same root digest, with identical subtrees stored once", async () => {
    const root = join(work, "twins");
    for (const twin of ["one", "two"]) {
      mkdirSync(join(root, twin, "inner"), { recursive: true });
      writeFileSync(join(root, twin, "inner/f"), "same");
    }
    const { blobs, directories } = services();
    const first = await ingestPath(root, blobs, directories);
    const again = services();
    const second = await ingestPath(root, again.blobs, again.directories);
    assert.deepEqual(first, second);
    assert.equal((await tree(directories, first)).length, 3); // root, the twin, inner
  });
});
