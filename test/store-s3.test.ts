// The object-store backend against a real S3 server: Ceph's radosgw on loopback, brought up from
// the Debian packages for this file (test/support/radosgw.ts) and torn down after it. Runs the
// common backend suite and the object-store layout suite on `objectstore+s3://`, then S3's own
// cases (credentials, missing bucket, prefixes) and a throughput measurement.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { putBlob, readBlob } from "../src/castore/blob-service.ts";
import { digestHex } from "../src/castore/digest.ts";
import { CastoreError } from "../src/castore/errors.ts";
import { openS3ObjectStore } from "../src/castore/objectstore/s3.ts";
import { openStore } from "../src/store/composition.ts";
import { describeObjectStoreLayout } from "./support/object-store-suite.ts";
import { type Radosgw, startRadosgw } from "./support/radosgw.ts";
import { describeStoreBackend } from "./support/store-backend-suite.ts";

const BUCKET = "tvix-test";
let gateway: Radosgw;
let count = 0;

/** A store URL on a fresh prefix of the test bucket, credentials in the query. */
function storeUrl(prefix = `run-${count++}`, overrides: Record<string, string> = {}): string {
  const query = new URLSearchParams({
    endpoint: gateway.endpoint,
    region: "us-east-1",
    access_key_id: gateway.accessKeyId,
    secret_access_key: gateway.secretAccessKey,
    ...overrides,
  });
  return `objectstore+s3://${BUCKET}/${prefix}?${query}`;
}

before(
  async () => {
    gateway = await startRadosgw();
    const client = new S3Client({
      endpoint: gateway.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: gateway.accessKeyId, secretAccessKey: gateway.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    client.destroy();
  },
  { timeout: 120_000 },
);
after(() => gateway?.stop());

test("radosgw is up", (t) => {
  t.diagnostic(`Ceph mon + memstore OSD + radosgw answered after ${gateway.startSeconds.toFixed(1)} s`);
  assert.match(gateway.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
});

describeStoreBackend("objectstore+s3:// (radosgw)", () => openStore(storeUrl()), { getsNonRootDirectories: false });

describeObjectStoreLayout("objectstore+s3:// (radosgw)", () => openS3ObjectStore(new URL(storeUrl())));

describe("objectstore+s3:// (radosgw): S3 specifics", () => {
  const refused = (pattern: RegExp) => (err: unknown) => err instanceof CastoreError && err.code === "unavailable" && pattern.test(err.message);

  test("a missing bucket or wrong credentials are a clear error at open", async () => {
    await assert.rejects(openStore(storeUrl().replace(`//${BUCKET}/`, "//no-such-bucket/")), refused(/bucket 'no-such-bucket' does not exist/));
    await assert.rejects(openStore(storeUrl(undefined, { secret_access_key: "wrong" })), refused(/bucket 'tvix-test' is not accessible with these credentials/));
  });

  test("credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY when the URL has none", async () => {
    const url = new URL(storeUrl());
    url.searchParams.delete("access_key_id");
    url.searchParams.delete("secret_access_key");
    const saved = [process.env.AWS_ACCESS_KEY_ID, process.env.AWS_SECRET_ACCESS_KEY];
    process.env.AWS_ACCESS_KEY_ID = gateway.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = gateway.secretAccessKey;
    try {
      const store = await openStore(url.href);
      try {
        const digest = await putBlob(store.blobs, Buffer.from("from the environment"));
        assert.equal((await readBlob(store.blobs, digest))?.toString(), "from the environment");
      } finally {
        await store.close();
      }
    } finally {
      [process.env.AWS_ACCESS_KEY_ID, process.env.AWS_SECRET_ACCESS_KEY] = saved;
      if (saved[0] === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved[1] === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });

  test("stores under different prefixes of one bucket are separate", async () => {
    const [a, b] = [await openStore(storeUrl("separate/a")), await openStore(storeUrl("separate/b"))];
    try {
      const digest = await putBlob(a.blobs, Buffer.from("only in a"));
      assert.equal(await a.blobs.has(digest), true);
      assert.equal(await b.blobs.has(digest), false);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("throughput of a 32 MiB blob through radosgw", async (t) => {
    const store = await openStore(storeUrl());
    try {
      const data = randomBytes(32 * 1024 * 1024);
      let started = performance.now();
      const digest = await putBlob(store.blobs, data);
      const putSeconds = (performance.now() - started) / 1000;
      started = performance.now();
      const back = await readBlob(store.blobs, digest);
      const getSeconds = (performance.now() - started) / 1000;
      assert.ok(back?.equals(data), "contents differ");
      const chunks = (await store.blobs.chunks(digest))!;
      t.diagnostic(`${chunks.length} chunks; put ${(32 / putSeconds).toFixed(1)} MB/s, get ${(32 / getSeconds).toFixed(1)} MB/s`);
      assert.equal(new Set(chunks.map((c) => digestHex(c.digest))).size, chunks.length);
    } finally {
      await store.close();
    }
  });
});
