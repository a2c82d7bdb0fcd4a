import assert from "node:assert/strict";
import { test } from "node:test";
import { type BlobService, putBlob } from "../castore/blob-service.ts";
import { blake3, digestEquals, digestHex, formatDigest } from "../castore/digest.ts";
import { Directory } from "../castore/directory.ts";
import { type DirectoryService, putDirectories, walkRootToLeaves } from "../castore/directory-service.ts";
import type { FileNode, Node } from "../castore/node.ts";
import { Hash, hashBytes } from "../nix-compat/hash.ts";
import { makeFixedOutputPath, makeTextPath, parseStorePath } from "../nix-compat/store-path.ts";
import { type Store, openStore, storeOf } from "./composition.ts";
import { calculateNar } from "./nar/render.ts";
import type { PathInfo } from "./path-info.ts";
import { verifyStore } from "./verify.ts";

const HELLO = Buffer.from("hello\n");
const X = Buffer.from("x\n");

async function file(blobs: BlobService, contents: Uint8Array, name = "", executable = false): Promise<FileNode> {
  return { kind: "file", name, digest: await putBlob(blobs, contents), size: contents.length, executable };
}

/** The tree a, link -> a, sub/b (executable), stored leaves first; returns its root directory. */
async function putTree(store: Store): Promise<{ root: Directory; sub: Directory }> {
  const sub = Directory.fromNodes([await file(store.blobs, X, "b", true)]);
  const root = Directory.fromNodes([await file(store.blobs, HELLO, "a"), { kind: "symlink", name: "link", target: "a" }, sub.toNode("sub")]);
  await putDirectories(store.directories, [sub, root]);
  return { root, sub };
}

/** Adds `node` as `nix-store --add` would: content-addressed by the sha256 of its NAR. */
async function addRecursive(store: Store, name: string, node: Node, fields: Partial<PathInfo> = {}): Promise<PathInfo> {
  const { narSize, narSha256 } = await calculateNar(node, store.blobs, store.directories);
  const hash = new Hash("sha256", narSha256);
  const storePath = makeFixedOutputPath(name, "recursive", hash);
  return store.pathInfos.put({ storePath, node, references: [], narSize, narSha256, signatures: [], ca: { method: "recursive", hash }, ...fields });
}

/** Adds a file as `nix-store --add-fixed sha256` would. */
async function addFlat(store: Store, name: string, contents: Uint8Array): Promise<PathInfo> {
  const node = await file(store.blobs, contents);
  const { narSize, narSha256 } = await calculateNar(node, store.blobs, store.directories);
  const hash = hashBytes("sha256", contents);
  return store.pathInfos.put({ storePath: makeFixedOutputPath(name, "flat", hash), node, references: [], narSize, narSha256, signatures: [], ca: { method: "flat", hash } });
}

function messages(report: { problems: { message: string }[] }): string[] {
  return report.problems.map((p) => p.message);
}

test("a sound store has no problems; blobs and directories are counted once", async () => {
  const store = await openStore("memory://");
  const { root } = await putTree(store);
  await addRecursive(store, "src", root.toNode(""));
  await addRecursive(store, "src-again", root.toNode(""));
  const flat = await addFlat(store, "hello.txt", HELLO);
  // A text path referring to the flat one (as builtins.toFile does).
  const text = await file(store.blobs, Buffer.from("see hello\n"));
  const { narSize, narSha256 } = await calculateNar(text, store.blobs, store.directories);
  const textHash = hashBytes("sha256", "see hello\n");
  await store.pathInfos.put({
    storePath: makeTextPath("note", textHash, [flat.storePath.toAbsolute()]),
    node: text,
    references: [flat.storePath],
    narSize,
    narSha256,
    signatures: [],
    ca: { method: "text", hash: textHash },
  });
  const seen: string[] = [];
  const report = await verifyStore(store, { onProgress: (done, total, path) => seen.push(`${done}/${total} ${path}`) });
  assert.deepEqual(report, { paths: 4, blobs: 3, directories: 2, problems: [] });
  assert.equal(seen.length, 4);
  assert.match(seen[0], /^0\/4 \/nix\/store\//);
  await store.close();
});

test("wrong NAR size and hash, a missing reference, a path that does not follow from its content address", async () => {
  const store = await openStore("memory://");
  const { root } = await putTree(store);
  const sound = await addRecursive(store, "src", root.toNode(""));
  const missing = parseStorePath("/nix/store/00000000000000000000000000000000-gone");
  const bad = await store.pathInfos.put({
    ...sound,
    storePath: parseStorePath("/nix/store/11111111111111111111111111111111-src"),
    narSize: sound.narSize + 8,
    narSha256: new Uint8Array(32),
    references: [missing],
  });
  const report = await verifyStore(store);
  assert.equal(report.paths, 2);
  assert.ok(report.problems.every((p) => p.storePath.equals(bad.storePath)));
  assert.deepEqual(messages(report), [
    "its reference '/nix/store/00000000000000000000000000000000-gone' is not in the store",
    `its content address 'fixed:r:${sound.ca!.hash.format("nix32")}' gives the path '${makeFixedOutputPath("src", "recursive", sound.ca!.hash, { references: [missing.toAbsolute()] }).toAbsolute()}'`,
    `its NAR has ${sound.narSize} bytes, but ${sound.narSize + 8} are recorded`,
    `its NAR hash is ${new Hash("sha256", sound.narSha256).toSri()}, but sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= is recorded`,
  ]);
  await store.close();
});

test("contents that do not match a flat content address, and a flat address on a directory", async () => {
  const store = await openStore("memory://");
  const flat = await addFlat(store, "hello.txt", HELLO);
  const other = await file(store.blobs, X);
  const nar = await calculateNar(other, store.blobs, store.directories);
  await store.pathInfos.put({ ...flat, node: other, ...nar });
  const { root } = await putTree(store);
  const tree = await addRecursive(store, "src", root.toNode(""));
  await store.pathInfos.put({ ...tree, ca: flat.ca });
  const report = await verifyStore(store);
  assert.deepEqual(messages(report), [
    `its contents hash to ${hashBytes("sha256", X).format("nix32")}, but its content address is 'fixed:${flat.ca!.hash.format("nix32")}'`,
    `its content address 'fixed:${flat.ca!.hash.format("nix32")}' gives the path '${makeFixedOutputPath("src", "flat", flat.ca!.hash).toAbsolute()}'`,
    `it is content-addressed as a flat file ('fixed:${flat.ca!.hash.format("nix32")}'), but it is a directory`,
  ]);
  await store.close();
});

test("missing blobs and directories", async () => {
  const store = await openStore("memory://");
  const ghostFile: FileNode = { kind: "file", name: "", digest: blake3(Buffer.from("never stored")), size: 12, executable: false };
  const ghostDirectory = Directory.fromNodes([{ kind: "symlink", name: "l", target: "x" }]);
  const info = (hashPart: string, node: Node): PathInfo => ({
    storePath: parseStorePath(`/nix/store/${hashPart.repeat(32)}-ghost`),
    node,
    references: [],
    narSize: 0,
    narSha256: new Uint8Array(32),
    signatures: [],
  });
  await store.pathInfos.put(info("1", ghostFile));
  await store.pathInfos.put(info("2", ghostDirectory.toNode("")));
  const report = await verifyStore(store);
  assert.deepEqual(messages(report), [
    `blob ${formatDigest(ghostFile.digest)} of file '' is missing`,
    `its root directory ${formatDigest(ghostDirectory.digest())} is missing`,
  ]);
  await store.close();
});

/** Blobs whose stored bytes were damaged: reads of each digest in `damage` return other bytes. */
function corruptingBlobs(inner: BlobService, damage: Map<string, Uint8Array>): BlobService {
  return {
    has: (d) => inner.has(d),
    chunks: (d) => inner.chunks(d),
    read: async (d) => {
      const contents = damage.get(digestHex(d));
      return contents ? (async function* () { yield contents; })() : inner.read(d);
    },
    openWrite: () => inner.openWrite(),
    close: () => inner.close(),
  };
}

/** Directories one of which was damaged: `digest` comes back as `replacement`. */
function corruptingDirectories(inner: DirectoryService, digest: Uint8Array, replacement: Directory): DirectoryService {
  return {
    get: async (d) => (digestEquals(d, digest) ? replacement : inner.get(d)),
    getRecursive: async function* (root) {
      for await (const directory of inner.getRecursive(root)) yield digestEquals(directory.digest(), digest) ? replacement : directory;
    },
    putMultiple: () => inner.putMultiple(),
    close: () => inner.close(),
  };
}

test("damaged blobs are reported, each in every path it is in, all of them in one run", async () => {
  const store = await openStore("memory://");
  const { root } = await putTree(store);
  const tree = await addRecursive(store, "src", root.toNode(""));
  const flat = await addFlat(store, "x", X);
  const damage = new Map([
    [digestHex(blake3(HELLO)), Buffer.from("HELLO\n")],
    [digestHex(blake3(X)), Buffer.from("y\n")],
  ]);
  const report = await verifyStore(storeOf(corruptingBlobs(store.blobs, damage), store.directories, store.pathInfos));
  const corrupt = (contents: Buffer, read: string) => `blob ${formatDigest(blake3(contents))} is corrupt: its contents hash to ${formatDigest(blake3(Buffer.from(read)))}`;
  assert.deepEqual(
    report.problems.map((p) => [p.storePath.name, p.message]),
    [
      [tree.storePath.name, corrupt(HELLO, "HELLO\n")],
      [tree.storePath.name, corrupt(X, "y\n")],
      [flat.storePath.name, corrupt(X, "y\n")],
    ],
  );
  assert.equal(report.blobs, 2);
  await store.close();
});

test("a directory whose contents changed", async () => {
  const store = await openStore("memory://");
  const { root, sub } = await putTree(store);
  await addRecursive(store, "src", root.toNode(""));
  const otherSub = Directory.fromNodes([{ kind: "symlink", name: "b", target: "elsewhere" }]);
  const report = await verifyStore(storeOf(store.blobs, corruptingDirectories(store.directories, sub.digest(), otherSub), store.pathInfos));
  assert.deepEqual(messages(report), [`directory ${formatDigest(otherSub.digest())} was sent before anything referred to it`]);
  await store.close();
});

/** A directory service that stores whatever it is given, unchecked, as a damaged backend might have. */
function uncheckedDirectories(directories: Directory[]): DirectoryService {
  const byDigest = new Map(directories.map((d) => [digestHex(d.digest()), d]));
  const lookup = async (digest: Uint8Array): Promise<Directory | undefined> => byDigest.get(digestHex(digest));
  return {
    get: lookup,
    getRecursive: (root) => walkRootToLeaves(root, lookup),
    putMultiple: () => {
      throw new Error("read-only");
    },
    close: async () => {},
  };
}

test("directories that give a wrong size for their child or in their node", async () => {
  const store = await openStore("memory://");
  const { root, sub } = await putTree(store);
  const info = await addRecursive(store, "src", root.toNode(""));
  const lyingRoot = Directory.fromNodes([...root.nodes().filter((n) => n.kind !== "directory"), { ...sub.toNode("sub"), size: sub.size + 1 }]);
  const damaged = storeOf(store.blobs, uncheckedDirectories([root, sub, lyingRoot]), store.pathInfos);
  await store.pathInfos.put({ ...info, node: lyingRoot.toNode("") });
  let report = await verifyStore(damaged);
  assert.deepEqual(messages(report), [`directory ${formatDigest(lyingRoot.digest())} gives its child ${formatDigest(sub.digest())} size ${sub.size + 1}, but it has size ${sub.size}`]);

  await store.pathInfos.put({ ...info, node: { ...root.toNode(""), size: 1 } });
  report = await verifyStore(damaged);
  assert.deepEqual(messages(report), [`its root directory ${formatDigest(root.digest())} has size ${root.size}, but its node says 1`]);
  await store.close();
});

