import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { blake3 } from "../castore/digest.ts";
import { Directory } from "../castore/directory.ts";
import { putDirectories } from "../castore/directory-service.ts";
import { putBlob } from "../castore/blob-service.ts";
import { Hash } from "../nix-compat/hash.ts";
import { makeFixedOutputPath, parseStorePath } from "../nix-compat/store-path.ts";
import { openStore, type Store } from "./composition.ts";
import { importNar } from "./import-nar.ts";
import { renderNar } from "./nar/render.ts";

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

/** A NAR of a small tree, made by rendering it from a scratch store. */
async function sampleNar(): Promise<Buffer> {
  const scratch = await openStore("memory://");
  const file = { kind: "file" as const, name: "f", digest: await putBlob(scratch.blobs, Buffer.from("contents")), size: 8, executable: false };
  const root = Directory.fromNodes([file, { kind: "symlink", name: "l", target: "f" }]);
  await putDirectories(scratch.directories, [root]);
  const nar = await collect(renderNar(root.toNode(""), scratch.blobs, scratch.directories));
  await scratch.close();
  return nar;
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

async function* unreadable(): AsyncIterable<Uint8Array> {
  throw new Error("the NAR must not be read");
}

async function paths(store: Store): Promise<string[]> {
  const out: string[] = [];
  for await (const info of store.pathInfos.list()) out.push(info.storePath.baseName);
  return out;
}

test("--name: content-addressed by the NAR's sha256, as nix-store --add names the tree", async () => {
  const store = await openStore("memory://");
  const nar = await sampleNar();
  const info = await importNar(store, once(nar), { name: "sample" });
  const hash = new Hash("sha256", createHash("sha256").update(nar).digest());
  assert.ok(info.storePath.equals(makeFixedOutputPath("sample", "recursive", hash)));
  assert.deepEqual(info.ca, { method: "recursive", hash });
  assert.equal(info.narSize, nar.length);
  assert.equal((await importNar(store, once(nar), { name: "sample" })).storePath.baseName, info.storePath.baseName);
  assert.deepEqual(await paths(store), [info.storePath.baseName]);
  await store.close();
});

test("--store-path: at the given path with references and deriver; references must be there first", async () => {
  const store = await openStore("memory://");
  const nar = await sampleNar();
  const dep = await importNar(store, once(nar), { name: "dep" });
  const target = parseStorePath("/nix/store/11111111111111111111111111111111-top");
  const deriver = parseStorePath("/nix/store/22222222222222222222222222222222-top.drv");
  const missing = parseStorePath("/nix/store/33333333333333333333333333333333-missing");
  await assert.rejects(importNar(store, unreadable(), { storePath: target, references: [dep.storePath, missing] }), {
    message: "cannot import: its reference '/nix/store/33333333333333333333333333333333-missing' is not in the store",
  });
  const info = await importNar(store, once(nar), { storePath: target, references: [dep.storePath], deriver });
  assert.ok(info.storePath.equals(target));
  assert.ok(info.deriver?.equals(deriver));
  assert.equal(info.ca, undefined);
  assert.deepEqual(info.references.map((r) => r.baseName), [dep.storePath.baseName]);
  await store.close();
});

test("a bad name, a truncated or a malformed NAR: refused, no path added", async () => {
  const store = await openStore("memory://");
  const nar = await sampleNar();
  await assert.rejects(importNar(store, unreadable(), { name: "no/slash" }), /illegal character/);
  await assert.rejects(importNar(store, once(nar.subarray(0, nar.length - 8)), { name: "cut" }));
  await assert.rejects(importNar(store, once(Buffer.concat([nar, Buffer.alloc(8)])), { name: "trailing" }));
  const garbled = Buffer.from(nar);
  garbled.write("x", nar.indexOf("symlink"), "latin1");
  await assert.rejects(importNar(store, once(garbled), { name: "garbled" }));
  assert.deepEqual(await paths(store), []);
  // The file's blob may have been written by the refused imports, but no directory was.
  const root = Directory.fromNodes([
    { kind: "file", name: "f", digest: blake3(Buffer.from("contents")), size: 8, executable: false },
    { kind: "symlink", name: "l", target: "f" },
  ]);
  assert.equal(await store.directories.get(root.digest()), undefined);
  await store.close();
});
