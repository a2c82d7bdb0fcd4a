// The daemon's listening side: addresses, stale and live sockets, the health service through
// shutdown, and a store served over TCP with wait-connect.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { putBlob, readBlob } from "../castore/blob-service.ts";
import { CastoreError } from "../castore/errors.ts";
import { HealthCheckRequestSchema, HealthCheckResponseSchema, HealthCheckResponse_ServingStatus as ServingStatus } from "../proto/gen/grpc/health/v1/health_pb.js";
import { openStore } from "./composition.ts";
import { parseListenAddress, serveStore } from "./daemon.ts";

const scratch = mkdtempSync(join(tmpdir(), "tvix-daemon-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("store daemon", () => {
  test("listen addresses", () => {
    assert.deepEqual(parseListenAddress("unix:///run/tvix.sock"), { kind: "unix", path: "/run/tvix.sock" });
    assert.deepEqual(parseListenAddress("[::1]:8000"), { kind: "tcp", host: "[::1]", port: 8000 });
    assert.deepEqual(parseListenAddress("0.0.0.0:0"), { kind: "tcp", host: "0.0.0.0", port: 0 });
    for (const bad of ["unix://relative.sock", "localhost", "host:99999", "host:", ":80", "http://host:80", "[::1]"]) {
      assert.throws(() => parseListenAddress(bad), (err: unknown) => err instanceof CastoreError && /invalid listen address/.test(err.message), bad);
    }
  });

  test("a stale socket is replaced, a live one or a plain file is refused, and closing removes the socket", async () => {
    const store = await openStore("memory://");
    const path = join(scratch, "stale.sock");
    // A socket file whose listener is gone: a process that exits without closing it.
    execFileSync(process.execPath, ["-e", "require('net').createServer().listen(process.argv[1], () => process.exit(0))", path]);
    assert.ok(existsSync(path));
    writeFileSync(join(scratch, "leftover"), "");
    const daemon = await serveStore(store, `unix://${path}`);
    try {
      assert.equal(daemon.url, `grpc+unix://${path}`);
      await assert.rejects(serveStore(store, `unix://${path}`), /another process is listening there/);
      await assert.rejects(serveStore(store, `unix://${join(scratch, "leftover")}`), /exists and is not a socket/);
    } finally {
      await daemon.close();
      await store.close();
    }
    assert.equal(existsSync(path), false);
  });

  test("health: Watch streams SERVING, then NOT_SERVING when the daemon shuts down", async () => {
    const store = await openStore("memory://");
    const daemon = await serveStore(store, "127.0.0.1:0");
    const client = new grpc.Client(daemon.address, grpc.credentials.createInsecure());
    const identity = (b: Buffer) => b;
    const call = client.makeServerStreamRequest(
      "/grpc.health.v1.Health/Watch",
      identity,
      identity,
      Buffer.from(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: "tvix.store.v1.PathInfoService" }))),
    );
    const statuses: ServingStatus[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      call.on("data", (bytes: Buffer) => {
        statuses.push(fromBinary(HealthCheckResponseSchema, bytes).status);
        if (statuses.length === 1) void daemon.close();
      });
      call.on("end", resolve);
      call.on("error", reject);
    });
    await ended;
    assert.deepEqual(statuses, [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    client.close();
    await store.close();
  });

  test("a store served over TCP, reached with wait-connect=1", async () => {
    const backing = await openStore("memory://");
    const daemon = await serveStore(backing, "127.0.0.1:0");
    assert.match(daemon.url, /^grpc\+http:\/\/127\.0\.0\.1:\d+$/);
    const store = await openStore(`${daemon.url}?wait-connect=1`);
    try {
      const digest = await putBlob(store.blobs, Buffer.from("over tcp"));
      assert.equal((await readBlob(backing.blobs, digest))?.toString(), "over tcp");
    } finally {
      await store.close();
      await daemon.close();
      await backing.close();
    }
  });
});
