import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ingestPath } from "../castore/fs/ingest.ts";
import { type NarListingNode, readNarListing } from "../nix-compat/nar/listing.ts";
import { openStore } from "./composition.ts";
import { renderNar } from "./nar/render.ts";
import { lookupNode, nodeListing } from "./path-contents.ts";

/** The listing without NAR offsets, which a castore listing cannot know. */
function withoutOffsets(node: NarListingNode): NarListingNode {
  if (node.type === "regular") return { ...node, narOffset: 0 };
  if (node.type === "directory") return { ...node, entries: node.entries.map((e) => ({ name: e.name, node: withoutOffsets(e.node) })) };
  return node;
}

test("lookupNode finds entries as Nix's local store accessor does; nodeListing equals the NAR's listing", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tvix-path-contents-"));
  try {
    const root = join(dir, "root");
    mkdirSync(join(root, "sub", "deeper"), { recursive: true });
    writeFileSync(join(root, "a"), "hello\n");
    writeFileSync(join(root, "sub", "deeper", "c"), "c");
    writeFileSync(Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0xff, 0x41])]), "not UTF-8");
    symlinkSync("sub", join(root, "link"));
    const store = await openStore("memory://");
    const node = await ingestPath(root, store.blobs, store.directories);
    const kind = async (path: string) => (await lookupNode(node, path, store.directories))?.kind;
    assert.equal(await kind(""), "directory");
    assert.equal(await kind("/"), "directory");
    assert.equal(await kind("/a"), "file");
    assert.equal(await kind("/sub/deeper/c"), "file");
    assert.equal(await kind("/sub/deeper/"), "directory");
    assert.equal(await kind("/link"), "symlink");
    assert.equal(await kind("/\u00ffA"), "file", "names are byte strings");
    for (const missing of ["/a/", "/link/", "/link/deeper", "/nope", "/a/b", "//a", "/sub//deeper"]) assert.equal(await kind(missing), undefined, missing);
    const file = await lookupNode(node, "/a", store.directories);
    assert.equal((await lookupNode(file!, "/x", store.directories))?.kind, undefined, "nothing is below a file");

    const fromNar = await readNarListing(renderNar(node, store.blobs, store.directories));
    assert.deepEqual(await nodeListing(node, store.directories), withoutOffsets(fromNar));
    assert.deepEqual(await nodeListing(file!, store.directories), { type: "regular", executable: false, size: 6, narOffset: 0 });
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
