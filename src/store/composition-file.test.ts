import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { putBlob } from "../castore/blob-service.ts";
import { describeStoreBackend } from "../../test/support/store-backend-suite.ts";
import { openComposition } from "./composition-file.ts";

const dir = mkdtempSync(join(tmpdir(), "tvix-composition-"));
function compositionFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const layered = compositionFile(
  "layered.toml",
  `
[blobservices.root]
url = "memory://"
[directoryservices.root]
type = "cache"
near = "near"
far = "far"
[directoryservices.near]
url = "memory://"
[directoryservices.far]
url = "memory://?"
[pathinfoservices.root]
url = "memory://"
`,
);

describeStoreBackend("composition file", () => openComposition(layered));

test("one URL is opened once and shared by the services that name it", async () => {
  const store = await openComposition(layered);
  const digest = await putBlob(store.blobs, Buffer.from("shared"));
  assert.ok(await store.blobs.has(digest));
  await store.close();
});

test("bad composition files are refused with the file and the reason", async () => {
  const cases: [string, RegExp][] = [
    ["[blobservices.root]\nurl = 1\n", /needs either url/],
    ["[blobservices.root]\nurl = \"memory://\"\n[directoryservices.root]\nurl = \"memory://\"\n", /\[pathinfoservices.root\] is missing/],
    ["[blobservice.root]\n", /unknown table 'blobservice'/],
    ["[blobservices.root\n", /composition/],
    [
      '[blobservices.root]\ntype = "cache"\nnear = "a"\nfar = "root"\n[blobservices.a]\nurl = "memory://"\n[directoryservices.root]\nurl = "memory://"\n[pathinfoservices.root]\nurl = "memory://"\n',
      /refers to itself through root → root/,
    ],
    [
      '[blobservices.root]\ntype = "cache"\nnear = "a"\nfar = "b"\n[blobservices.a]\nurl = "memory://"\n[directoryservices.root]\nurl = "memory://"\n[pathinfoservices.root]\nurl = "memory://"\n',
      /refers to 'b', which is not defined/,
    ],
    ['[blobservices.root]\nurl = "nope://"\n[directoryservices.root]\nurl = "memory://"\n[pathinfoservices.root]\nurl = "memory://"\n', /unknown store URL scheme 'nope'/],
  ];
  for (const [i, [text, pattern]] of cases.entries()) {
    await assert.rejects(openComposition(compositionFile(`bad-${i}.toml`, text)), pattern, text);
  }
  await assert.rejects(openComposition(join(dir, "absent.toml")), /absent.toml': ENOENT/);
});
