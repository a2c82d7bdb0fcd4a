import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { putBlob, readBlob } from "../blob-service.ts";
import { blake3, digestHex } from "../digest.ts";
import { CastoreError } from "../errors.ts";
import { LocalBlobService } from "./blob-service.ts";

const root = mkdtempSync(join(tmpdir(), "tvix-local-blobs-"));
after(() => rmSync(root, { recursive: true, force: true }));
let count = 0;

function freshDir(): string {
  return join(root, String(count++));
}

function isDataLoss(err: unknown): boolean {
  assert.ok(err instanceof CastoreError, String(err));
  assert.equal(err.code, "data-loss");
  assert.match(err.message, /is corrupt/);
  return true;
}

test("a blob is a read-only file named by its digest under a two-digit shard; no temporary file remains", async () => {
  const dir = freshDir();
  const blobs = await LocalBlobService.open(dir);
  const data = randomBytes(100_000);
  const digest = await putBlob(blobs, data);
  const hex = digestHex(digest);
  const path = join(dir, hex.slice(0, 2), hex);
  assert.equal(blobs.blobPath(digest), path);
  assert.deepEqual(readdirSync(join(dir, "tmp")), []);
  const stat = statSync(path);
  assert.equal(stat.size, data.length);
  assert.equal(stat.mode & 0o222, 0, "blob files are not writable");
  await blobs.close();
});

test("an aborted or failed write leaves no temporary file", async () => {
  const dir = freshDir();
  const blobs = await LocalBlobService.open(dir);
  const writer = blobs.openWrite();
  await writer.write(randomBytes(10_000));
  await writer.abort();
  await assert.rejects(writer.write(new Uint8Array(1)), /after close or abort/);
  assert.deepEqual(readdirSync(join(dir, "tmp")), []);
  assert.deepEqual(readdirSync(dir), ["tmp"]);
  // A shard that cannot be created makes close() fail: the temporary file goes too.
  const data = randomBytes(1000);
  writeFileSync(join(dir, digestHex(blake3(data)).slice(0, 2)), "in the way");
  await assert.rejects(putBlob(blobs, data), (err: unknown) => err instanceof CastoreError && err.code === "unavailable" && /cannot store blob/.test(err.message));
  assert.deepEqual(readdirSync(join(dir, "tmp")), []);
  await blobs.close();
});

test("opening removes temporary files of processes that are gone, and only those", async () => {
  const dir = freshDir();
  await (await LocalBlobService.open(dir)).close();
  const exited = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  const deadPid = Number(exited.stdout);
  assert.ok(deadPid > 0);
  const names = [`${deadPid}-0123abcd`, `${process.pid}-0123abcd`, "1-0123abcd", "unrelated"];
  for (const name of names) writeFileSync(join(dir, "tmp", name), "partial");
  await (await LocalBlobService.open(dir)).close();
  assert.deepEqual(readdirSync(join(dir, "tmp")).sort(), names.slice(1).sort());
});

test("a blob file whose contents were changed or cut short fails its read with data-loss; a cut-short one is repaired by storing it again", async () => {
  const blobs = await LocalBlobService.open(freshDir());
  const data = randomBytes(3 << 20);
  const digest = await putBlob(blobs, data);
  const path = blobs.blobPath(digest);
  const flipped = Buffer.from(data);
  flipped[flipped.length - 1] ^= 1;
  writeFileSync(path, flipped);
  await assert.rejects(readBlob(blobs, digest), isDataLoss);
  truncateSync(path, 1000);
  await assert.rejects(readBlob(blobs, digest), isDataLoss);
  // Storing the contents again replaces a file of the wrong size.
  await putBlob(blobs, data);
  assert.ok((await readBlob(blobs, digest))!.equals(data));
  await blobs.close();
});

test("a digest of the wrong length is refused", async () => {
  const blobs = await LocalBlobService.open(freshDir());
  await assert.rejects(blobs.has(new Uint8Array(20)), (err: unknown) => err instanceof CastoreError && err.code === "invalid-argument");
  await assert.rejects(blobs.read(new Uint8Array(33)), (err: unknown) => err instanceof CastoreError && err.code === "invalid-argument");
  await blobs.close();
});

test("a blob directory that cannot be created gives a clear error", async () => {
  const file = join(root, "a-file");
  writeFileSync(file, "");
  await assert.rejects(LocalBlobService.open(join(file, "blobs")), (err: unknown) => {
    assert.ok(err instanceof CastoreError);
    assert.equal(err.code, "unavailable");
    assert.equal(err.message, `cannot create the blob directory '${join(file, "blobs", "tmp")}': Not a directory`);
    return true;
  });
});

test("many blobs written at once all read back", async () => {
  const blobs = await LocalBlobService.open(freshDir());
  const contents = Array.from({ length: 200 }, (_, i) => randomBytes(i * 37));
  const digests = await Promise.all(contents.map((data) => putBlob(blobs, data)));
  for (const [i, digest] of digests.entries()) {
    assert.equal(digestHex(digest), digestHex(blake3(contents[i])));
    assert.ok((await readBlob(blobs, digest))!.equals(contents[i]));
  }
  await blobs.close();
});
