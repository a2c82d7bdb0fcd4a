// gRPC store URLs as Tvix reads them, and what a client says when nothing listens.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { CastoreError } from "../errors.ts";
import { GrpcBlobService } from "./blob-client.ts";
import { connectGrpc } from "./channel.ts";

const scratch = mkdtempSync(join(tmpdir(), "tvix-channel-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function refused(url: string, code: CastoreError["code"], pattern: RegExp): Promise<void> {
  await assert.rejects(connectGrpc(new URL(url)), (err: unknown) => {
    assert.ok(err instanceof CastoreError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

describe("gRPC URLs", () => {
  test("malformed URLs are refused with the reason", async () => {
    await refused("grpc+unix://host/sock", "invalid-argument", /has no host/);
    await refused("grpc+unix:///", "invalid-argument", /socket path is missing/);
    await refused("grpc+http://host:8000/path", "invalid-argument", /a path is not allowed/);
    await refused("grpc+ftp://host", "invalid-argument", /grpc\+unix, grpc\+http or grpc\+https/);
    await refused("grpc+http://[::1]:8000?foo=1", "invalid-argument", /unknown parameter 'foo'/);
    await refused("grpc+http://[::1]:8000?wait-connect=yes", "invalid-argument", /wait-connect must be 1 or 0/);
  });

  test("without wait-connect the connection is lazy: opening succeeds, the first call says it cannot reach the server", async () => {
    const url = `grpc+unix://${join(scratch, "nobody.sock")}`;
    const client = await connectGrpc(new URL(url));
    const blobs = new GrpcBlobService(client, `the store at ${url}`);
    await assert.rejects(blobs.has(new Uint8Array(32)), (err: unknown) => {
      assert.ok(err instanceof CastoreError && err.code === "unavailable", String(err));
      assert.match(err.message, /^the store at grpc\+unix:\/\/.*nobody\.sock: UNAVAILABLE/);
      return true;
    });
    await blobs.close();
  });

  test("with wait-connect=1 opening fails at once when nothing listens", async () => {
    const started = Date.now();
    await refused(`grpc+unix://${join(scratch, "nobody.sock")}?wait-connect=1`, "unavailable", /cannot connect to grpc\+unix:/);
    await refused("grpc+http://127.0.0.1:1?wait-connect=1", "unavailable", /cannot connect to grpc\+http:\/\/127\.0\.0\.1:1/);
    assert.ok(Date.now() - started < 5000);
  });
});
