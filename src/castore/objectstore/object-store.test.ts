// The object-store layout suite on objectstore+file (the same runs on S3 in test/store-s3.test.ts),
// and the URL forms of the object stores.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { describeObjectStoreLayout } from "../../../test/support/object-store-suite.ts";
import { CastoreError } from "../errors.ts";
import { FileObjectStore } from "./file.ts";
import { openObjectStoreUrl } from "./object-store.ts";

const root = mkdtempSync(join(tmpdir(), "tvix-objectstore-"));
after(() => rmSync(root, { recursive: true, force: true }));
let count = 0;

describeObjectStoreLayout("objectstore+file://", async () => new FileObjectStore(join(root, String(count++))));

test("object store URLs that cannot work are refused with the form expected", async () => {
  for (const [url, pattern] of [
    ["objectstore+ftp://host/x", /unknown object store 'ftp'/],
    ["objectstore+file://host/dir", /objectstore\+file:\/\/\/ABSOLUTE\/DIR/],
    ["objectstore+file:///dir?x=1", /no query/],
    ["objectstore+s3:///prefix", /objectstore\+s3:\/\/BUCKET\/PREFIX/],
    ["objectstore+s3://bucket/p?colour=red", /unknown option 'colour'/],
    ["objectstore+s3://bucket/p?endpoint=nonsense", /endpoint 'nonsense' is not a URL/],
    ["objectstore+s3://bucket/p?access_key_id=a", /needs a secret access key/],
    ["objectstore+s3://bucket/p?virtual_hosted_style_request=maybe&endpoint=http://127.0.0.1:1", /must be true or false/],
  ] as const) {
    await assert.rejects(openObjectStoreUrl(new URL(url)), (err: unknown) => err instanceof CastoreError && err.code === "invalid-argument" && pattern.test(err.message), url);
  }
});

test("an S3 server that cannot be reached is a clear error at open, not a hang", async () => {
  await assert.rejects(
    openObjectStoreUrl(new URL("objectstore+s3://bucket/p?endpoint=http://127.0.0.1:9&access_key_id=a&secret_access_key=b")),
    (err: unknown) => err instanceof CastoreError && err.code === "unavailable" && /bucket 'bucket' cannot be reached .*ECONNREFUSED/.test(err.message),
  );
});

test("objectstore+file writes atomically: no temporary file is left or listed", async () => {
  const store = new FileObjectStore(join(root, "atomic"));
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.put("a/b/key", Buffer.from(`version ${i}`))));
  assert.match(Buffer.from((await store.get("a/b/key"))!).toString(), /^version \d+$/);
  const keys: string[] = [];
  for await (const key of store.list("a/")) keys.push(key);
  assert.deepEqual(keys, ["a/b/key"]);
  assert.deepEqual(readdirSync(join(root, "atomic", "a", "b")), ["key"]);
  await store.delete("a/b/key");
  await store.delete("a/b/key");
  assert.equal(await store.get("a/b/key"), undefined);
  assert.equal(await store.head("a/b/key"), false);
});
