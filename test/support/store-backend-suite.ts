// The behaviour every store backend must show, as one suite that each backend's test runs with
// its own `open`: memory, local, S3 (radosgw), objectstore+file, and gRPC through a daemon.
// Each test opens a fresh store (or a fresh prefix of a shared one) and closes it.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { putBlob, readBlob } from "../../src/castore/blob-service.ts";
import { EMPTY_DIGEST, blake3, digestHex } from "../../src/castore/digest.ts";
import { Directory } from "../../src/castore/directory.ts";
import { RootToLeavesValidator } from "../../src/castore/directory-graph.ts";
import { putDirectories } from "../../src/castore/directory-service.ts";
import { CastoreError } from "../../src/castore/errors.ts";
import type { FileNode, Node } from "../../src/castore/node.ts";
import { Hash } from "../../src/nix-compat/hash.ts";
import { SecretKey } from "../../src/nix-compat/signing.ts";
import { StorePath } from "../../src/nix-compat/store-path.ts";
import type { Store } from "../../src/store/composition.ts";
import { type PathInfo, pathInfoFingerprint } from "../../src/store/path-info.ts";

export interface BackendSuiteOptions {
  /**
   * Whether `directories.get` answers for directories that were only put as part of a larger
   * tree (the object-store backend keeps whole trees and answers only for their roots).
   */
  getsNonRootDirectories?: boolean;
}

async function withStore(open: () => Promise<Store>, body: (store: Store) => Promise<void>): Promise<void> {
  const store = await open();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function rejectsWith(promise: Promise<unknown>, code: CastoreError["code"], pattern?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof CastoreError, `expected a CastoreError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

function fileNode(name: string, contents: Uint8Array, executable = false): FileNode {
  return { kind: "file", name, digest: blake3(contents), size: contents.length, executable };
}

/** A small tree with a shared subdirectory, leaves to root, and its blobs. */
function sampleTree(): { blobs: Uint8Array[]; leavesToRoot: Directory[]; root: Directory } {
  const hello = Buffer.from("Hello World!");
  const script = Buffer.from("#!/bin/sh\necho hi\n");
  const leaf = Directory.fromNodes([fileNode(".keep", new Uint8Array(0)), fileNode("hello.txt", hello)]);
  const middle = Directory.fromNodes([
    leaf.toNode("leaf"),
    fileNode("run", script, true),
    { kind: "symlink", name: "link", target: "../hello.txt" },
  ]);
  const root = Directory.fromNodes([middle.toNode("bin"), leaf.toNode("share"), { kind: "symlink", name: "self", target: "/nix/store/somewhere" }]);
  return { blobs: [new Uint8Array(0), hello, script], leavesToRoot: [leaf, middle, root], root };
}

function samplePathInfo(node: Node, name: string, references: StorePath[] = []): PathInfo {
  const narSha256 = new Uint8Array(randomBytes(32));
  const storePath = new StorePath(new Uint8Array(randomBytes(20)), name);
  const key = SecretKey.generate("suite-test-1");
  const info: PathInfo = {
    storePath,
    node,
    references,
    narSize: 1234,
    narSha256,
    signatures: [],
    deriver: new StorePath(new Uint8Array(randomBytes(20)), `${name}.drv`),
    ca: { method: "recursive", hash: new Hash("sha256", narSha256) },
  };
  info.signatures = [key.sign(pathInfoFingerprint(info))];
  return info;
}

function assertSamePathInfo(actual: PathInfo | undefined, expected: PathInfo): void {
  assert.ok(actual, `PathInfo ${expected.storePath.baseName} is missing`);
  assert.equal(actual.storePath.baseName, expected.storePath.baseName);
  assert.deepEqual({ ...actual.node, name: "" }, { ...expected.node, name: "" });
  assert.deepEqual(
    actual.references.map((r) => r.baseName),
    expected.references.map((r) => r.baseName),
  );
  assert.equal(actual.narSize, expected.narSize);
  assert.deepEqual(Buffer.from(actual.narSha256), Buffer.from(expected.narSha256));
  assert.deepEqual(
    actual.signatures.map((s) => s.toString()),
    expected.signatures.map((s) => s.toString()),
  );
  assert.equal(actual.deriver?.baseName, expected.deriver?.baseName);
  assert.equal(actual.ca?.method, expected.ca?.method);
  assert.ok(actual.ca === expected.ca || (actual.ca !== undefined && expected.ca !== undefined && actual.ca.hash.equals(expected.ca.hash)));
}

export function describeStoreBackend(name: string, open: () => Promise<Store>, options: BackendSuiteOptions = {}): void {
  const { getsNonRootDirectories = true } = options;

  describe(`${name}: blobs`, () => {
    test("the empty blob", () =>
      withStore(open, async ({ blobs }) => {
        const digest = await putBlob(blobs, new Uint8Array(0));
        assert.equal(digestHex(digest), digestHex(EMPTY_DIGEST));
        assert.ok(await blobs.has(digest));
        assert.equal((await readBlob(blobs, digest))?.length, 0);
      }));

    test("a blob written in many pieces reads back whole, and its chunks cover it", () =>
      withStore(open, async ({ blobs }) => {
        const data = new Uint8Array(randomBytes(3 * 1024 * 1024 + 17));
        const writer = blobs.openWrite();
        for (let offset = 0; offset < data.length; offset += 100_003) await writer.write(data.subarray(offset, offset + 100_003));
        const digest = await writer.close();
        assert.equal(digestHex(digest), digestHex(blake3(data)));
        assert.ok(await blobs.has(digest));
        assert.ok(Buffer.from(data).equals((await readBlob(blobs, digest))!), "contents differ");
        const chunks = await blobs.chunks(digest);
        assert.ok(chunks !== undefined);
        if (chunks.length > 0) {
          assert.equal(
            chunks.reduce((sum, c) => sum + c.size, 0),
            data.length,
          );
          const pieces = await Promise.all(chunks.map((c) => readBlob(blobs, c.digest)));
          assert.ok(Buffer.concat(pieces.map((p) => p!)).equals(data), "chunks do not add up to the blob");
        }
      }));

    test("absent blobs are absent", () =>
      withStore(open, async ({ blobs }) => {
        const digest = blake3(new Uint8Array(randomBytes(64)));
        assert.equal(await blobs.has(digest), false);
        assert.equal(await blobs.chunks(digest), undefined);
        assert.equal(await blobs.read(digest), undefined);
      }));

    test("an aborted write leaves nothing", () =>
      withStore(open, async ({ blobs }) => {
        const data = new Uint8Array(randomBytes(300_000));
        const writer = blobs.openWrite();
        await writer.write(data);
        await writer.abort();
        assert.equal(await blobs.has(blake3(data)), false);
      }));

    test("the same contents written concurrently give one blob", () =>
      withStore(open, async ({ blobs }) => {
        const data = new Uint8Array(randomBytes(500_000));
        const digests = await Promise.all([putBlob(blobs, data), putBlob(blobs, data), putBlob(blobs, data)]);
        assert.equal(new Set(digests.map(digestHex)).size, 1);
        assert.ok(Buffer.from(data).equals((await readBlob(blobs, digests[0]))!));
      }));
  });

  describe(`${name}: directories`, () => {
    test("a tree put leaves to root comes back root to leaves, each directory once", () =>
      withStore(open, async ({ blobs, directories }) => {
        const { blobs: contents, leavesToRoot, root } = sampleTree();
        for (const blob of contents) await putBlob(blobs, blob);
        const rootDigest = await putDirectories(directories, leavesToRoot);
        assert.equal(digestHex(rootDigest), digestHex(root.digest()));
        const received = await collect(directories.getRecursive(rootDigest));
        const validator = new RootToLeavesValidator(rootDigest);
        for (const directory of received) validator.add(directory);
        validator.finish();
        assert.deepEqual(received.map((d) => digestHex(d.digest())).sort(), leavesToRoot.map((d) => digestHex(d.digest())).sort());
        assert.ok(Buffer.from(received[0].encode()).equals(root.encode()));
        assert.ok(Buffer.from((await directories.get(rootDigest))!.encode()).equals(root.encode()));
        if (getsNonRootDirectories) assert.ok((await directories.get(leavesToRoot[0].digest())) !== undefined);
      }));

    test("the empty directory", () =>
      withStore(open, async ({ directories }) => {
        const digest = await putDirectories(directories, [new Directory()]);
        assert.equal(digestHex(digest), digestHex(EMPTY_DIGEST));
        assert.equal((await collect(directories.getRecursive(digest))).length, 1);
      }));

    test("an absent directory yields nothing", () =>
      withStore(open, async ({ directories }) => {
        const digest = blake3(new Uint8Array(randomBytes(32)));
        assert.equal(await directories.get(digest), undefined);
        assert.deepEqual(await collect(directories.getRecursive(digest)), []);
      }));

    test("a directory sent before its child is refused, and nothing of the stream is stored", () =>
      withStore(open, async ({ directories }) => {
        const { leavesToRoot } = sampleTree();
        const [leaf, middle] = leavesToRoot;
        const putter = directories.putMultiple();
        await assert.rejects(
          (async () => {
            await putter.put(middle);
            await putter.put(leaf);
            await putter.close();
          })(),
          (err: unknown) => err instanceof CastoreError && err.code === "invalid-argument" && /not sent before/.test(err.message),
        );
        assert.deepEqual(await collect(directories.getRecursive(middle.digest())), []);
        assert.deepEqual(await collect(directories.getRecursive(leaf.digest())), []);
      }));

    test("a child with the wrong size is refused", () =>
      withStore(open, async ({ directories }) => {
        const leaf = Directory.fromNodes([fileNode("a", Buffer.from("a"))]);
        const parent = Directory.fromNodes([{ ...leaf.toNode("sub"), size: leaf.size + 1 }]);
        const putter = directories.putMultiple();
        await putter.put(leaf);
        await rejectsWith(
          (async () => {
            await putter.put(parent);
            await putter.close();
          })(),
          "invalid-argument",
          /size/,
        );
        assert.deepEqual(await collect(directories.getRecursive(parent.digest())), []);
      }));

    test("a stream that is not one tree is refused at close, and nothing is stored", () =>
      withStore(open, async ({ directories }) => {
        const stray = Directory.fromNodes([fileNode("stray", Buffer.from("x"))]);
        const root = Directory.fromNodes([fileNode("root", Buffer.from("y"))]);
        const putter = directories.putMultiple();
        await putter.put(stray);
        await putter.put(root);
        await rejectsWith(putter.close(), "invalid-argument", /not below the root/);
        assert.deepEqual(await collect(directories.getRecursive(root.digest())), []);
        assert.deepEqual(await collect(directories.getRecursive(stray.digest())), []);
      }));

    test("an empty stream is refused", () =>
      withStore(open, async ({ directories }) => {
        await rejectsWith(directories.putMultiple().close(), "invalid-argument");
      }));
  });

  describe(`${name}: path infos`, () => {
    test("path infos of every node kind round-trip, list finds them, absent ones are absent", () =>
      withStore(open, async (store) => {
        const { blobs: contents, leavesToRoot } = sampleTree();
        for (const blob of contents) await putBlob(store.blobs, blob);
        const rootDigest = await putDirectories(store.directories, leavesToRoot);
        const directoryInfo = samplePathInfo({ kind: "directory", name: "", digest: rootDigest, size: leavesToRoot.at(-1)!.size }, "tree");
        const fileInfo = samplePathInfo(fileNode("", contents[1], true), "hello", [directoryInfo.storePath]);
        const symlinkInfo = samplePathInfo({ kind: "symlink", name: "", target: "/nix/store/elsewhere" }, "link", [directoryInfo.storePath, fileInfo.storePath]);
        for (const info of [directoryInfo, fileInfo, symlinkInfo]) assertSamePathInfo(await store.pathInfos.put(info), info);
        for (const info of [directoryInfo, fileInfo, symlinkInfo]) assertSamePathInfo(await store.pathInfos.get(info.storePath.digest), info);
        const listed = new Map((await collect(store.pathInfos.list())).map((info) => [info.storePath.baseName, info]));
        for (const info of [directoryInfo, fileInfo, symlinkInfo]) assertSamePathInfo(listed.get(info.storePath.baseName), info);
        assert.equal(await store.pathInfos.get(new Uint8Array(randomBytes(20))), undefined);
      }));

    test("putting the same path info twice keeps one", () =>
      withStore(open, async (store) => {
        const info = samplePathInfo({ kind: "symlink", name: "", target: "target" }, "twice");
        await store.pathInfos.put(info);
        await store.pathInfos.put(info);
        const listed = (await collect(store.pathInfos.list())).filter((i) => i.storePath.baseName === info.storePath.baseName);
        assert.equal(listed.length, 1);
      }));
  });
}
