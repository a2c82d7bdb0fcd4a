import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CastoreError } from "../castore/errors.ts";
import { parseStorePath } from "../nix-compat/store-path.ts";
import { openStore } from "../store/composition.ts";
import { EvalStore } from "./eval-store.ts";
import { writePendingPath, writePendingStore } from "./write-pending.ts";

const dir = mkdtempSync(join(tmpdir(), "write-pending-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("texts, derivations and sources land at the paths evaluation computed, with their CA and references", async () => {
  const store = await openStore("memory://");
  const evalStore = new EvalStore("/nix/store");
  writeFileSync(join(dir, "file"), "contents");
  symlinkSync("file", join(dir, "link"));
  const source = evalStore.addLocal("src", join(dir, "file"), "recursive").storePath;
  const flat = evalStore.addLocal("flat", join(dir, "link"), "flat").storePath;
  const text = evalStore.addText("t", `uses ${source}`, [source]);
  const infos = await writePendingStore(store, evalStore.pending);
  assert.deepEqual(infos.map((i) => i.storePath.toAbsolute()), [source, flat, text]);
  assert.equal(infos[0].ca?.method, "recursive");
  // Flat ingestion follows the symlink: the file's contents, not the link.
  assert.equal(infos[1].ca?.method, "flat");
  assert.equal(infos[1].node.kind, "file");
  assert.equal(infos[2].ca?.method, "text");
  assert.deepEqual(infos[2].references.map((r) => r.toAbsolute()), [source]);
  // Written once: a second write returns what the store has.
  const again = await writePendingPath(store, text, evalStore.pending.get(text)!);
  assert.deepEqual(again.narSha256, infos[2].narSha256);
  await store.close();
});

test("a source changed since evaluation is an error and is not stored", async () => {
  const store = await openStore("memory://");
  const evalStore = new EvalStore("/nix/store");
  writeFileSync(join(dir, "changing"), "before");
  const path = evalStore.addLocal("changing", join(dir, "changing"), "recursive").storePath;
  writeFileSync(join(dir, "changing"), "after");
  await assert.rejects(writePendingStore(store, evalStore.pending), (err: Error) => err instanceof CastoreError && new RegExp(`changing' changed: it would be '.*', not '${path}'`).test(err.message));
  assert.equal(await store.pathInfos.get(parseStorePath(path).digest), undefined);
  for await (const info of store.pathInfos.list()) assert.fail(`stored ${info.storePath.baseName}`);
  await store.close();
});
