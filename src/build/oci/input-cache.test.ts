import assert from "node:assert/strict";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ingestPath } from "../../castore/fs/ingest.ts";
import { openStore } from "../../store/composition.ts";
import { InputCache } from "./input-cache.ts";

test("an adopted output becomes the rendering of its node, with renderNode's owner and modes", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "input-cache-test-"));
  const store = await openStore("memory://");
  const cache = new InputCache(store, dir);
  t.after(async () => {
    cache.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // As a build leaves it: the build user's, with modes renderNode would not give.
  const output = join(dir, "output");
  mkdirSync(join(output, "sub"), { recursive: true });
  writeFileSync(join(output, "sub", "tool"), "#!/bin/sh\n");
  chmodSync(join(output, "sub", "tool"), 0o700);
  writeFileSync(join(output, "data"), "data\n");
  chmodSync(join(output, "data"), 0o600);
  symlinkSync("data", join(output, "link"));
  chmodSync(output, 0o700);
  for (const path of ["", "sub", "sub/tool", "data"]) chownSync(join(output, path), 1000, 100);

  const node = await ingestPath(output, store.blobs, store.directories);
  assert.equal(node.kind, "directory");
  if (node.kind !== "directory") return;
  cache.adopt(node, output);
  assert.equal(existsSync(output), false);

  const rendered = await cache.path(node);
  const mode = (path: string): string => (lstatSync(join(rendered, path)).mode & 0o7777).toString(8);
  assert.deepEqual(["", "sub", "sub/tool", "data"].map(mode), ["755", "755", "755", "644"]);
  for (const path of ["", "sub", "sub/tool", "data", "link"]) assert.deepEqual([lstatSync(join(rendered, path)).uid, lstatSync(join(rendered, path)).gid], [0, 0], path);
  assert.equal(readFileSync(join(rendered, "link"), "utf8"), "data\n");
  // The same contents as ingested: ingesting the rendering gives the same node.
  assert.deepEqual(await ingestPath(rendered, store.blobs, store.directories), node);

  // A second output with the same contents is not taken: the first rendering serves.
  const again = join(dir, "again");
  mkdirSync(again);
  cache.adopt(node, again);
  assert.equal(existsSync(again), true);
  assert.equal(await cache.path(node), rendered);
});
