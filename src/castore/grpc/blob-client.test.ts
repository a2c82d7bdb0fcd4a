// The BlobService client against servers that misbehave on purpose (wrong digests, wrong
// contents, bad chunk lists) and one that chunks: what the client hands out is always what the
// digest names. Also backpressure: a reader that stops makes the server stop reading its store.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import type { DescService } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { BlobService } from "../../proto/gen/tvix/castore/v1/rpc_blobstore_pb.js";
import { putBlob, readBlob } from "../blob-service.ts";
import { blake3, digestHex } from "../digest.ts";
import { CastoreError } from "../errors.ts";
import { MemoryBlobService } from "../memory/blob-service.ts";
import { GrpcBlobService } from "./blob-client.ts";
import { blobServiceHandlers } from "./blob-server.ts";
import { type ServiceHandlers, serviceImplementation } from "./server.ts";

const servers: grpc.Server[] = [];
after(() => servers.forEach((server) => server.forceShutdown()));

async function serve<S extends DescService>(service: S, handlers: ServiceHandlers<S>): Promise<GrpcBlobService> {
  const server = new grpc.Server();
  const { definition, implementation } = serviceImplementation(service, handlers);
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  servers.push(server);
  return new GrpcBlobService(new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()), "the test server");
}

async function rejectsWith(promise: Promise<unknown>, code: CastoreError["code"], pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof CastoreError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

describe("the gRPC blob client", () => {
  test("refuses an upload the server stores under another digest", async () => {
    const honest = blobServiceHandlers(new MemoryBlobService());
    const client = await serve(BlobService, { ...honest, put: async (requests) => ({ ...(await honest.put(requests, { signal: new AbortController().signal })), digest: blake3(Buffer.from("other")) }) });
    await rejectsWith(putBlob(client, randomBytes(1000)), "data-loss", /stored a blob as b3:.*but what was sent is/);
    await client.close();
  });

  test("refuses contents that do not match the digest asked for", async () => {
    const blobs = new MemoryBlobService();
    const real = randomBytes(3000);
    const digest = await putBlob(blobs, real);
    const honest = blobServiceHandlers(blobs);
    const client = await serve(BlobService, {
      ...honest,
      async *read() {
        yield { data: real.subarray(0, 2999) };
        yield { data: Buffer.from("x") };
      },
    });
    await rejectsWith(readBlob(client, digest), "data-loss", /do not match/);
    await client.close();
  });

  test("reads a chunked blob chunk by chunk, checking each chunk and the whole", async () => {
    const blobs = new MemoryBlobService();
    const parts = [randomBytes(5000), randomBytes(7000), randomBytes(1)];
    const whole = Buffer.concat(parts);
    const digest = await putBlob(blobs, whole);
    for (const part of parts) await putBlob(blobs, part);
    const honest = blobServiceHandlers(blobs);
    const read: string[] = [];
    const chunks = parts.map((part) => ({ digest: blake3(part), size: BigInt(part.length) }));
    let lie = false;
    const client = await serve(BlobService, {
      ...honest,
      stat: async (request, call) => (digestHex(request.digest) === digestHex(digest) ? { chunks } : honest.stat(request, call)),
      read: (request, call) => {
        read.push(digestHex(request.digest));
        if (lie) return blobServiceHandlers(new MemoryBlobService()).read(request, call);
        return honest.read(request, call);
      },
    });
    assert.deepEqual((await client.chunks(digest))?.map((c) => c.size), [5000, 7000, 1]);
    assert.ok((await readBlob(client, digest))!.equals(whole));
    assert.deepEqual(read, chunks.map((c) => digestHex(c.digest)));
    // A chunk the server cannot serve fails the read (it said the blob exists).
    lie = true;
    await rejectsWith(readBlob(client, digest), "not-found", /not found/);
    await client.close();
  });

  test("refuses a chunk list with a bad digest, and chunks that do not add up to the blob", async () => {
    const blobs = new MemoryBlobService();
    const data = randomBytes(100);
    const digest = await putBlob(blobs, data);
    const other = randomBytes(100);
    await putBlob(blobs, other);
    const honest = blobServiceHandlers(blobs);
    let chunks: { digest: Uint8Array; size: bigint }[] = [{ digest: new Uint8Array(31), size: 100n }];
    const client = await serve(BlobService, { ...honest, stat: async () => ({ chunks }) });
    await rejectsWith(client.chunks(digest), "data-loss", /sent an invalid chunk list/);
    chunks = [
      { digest: blake3(other), size: 100n },
      { digest: blake3(other), size: 100n },
    ];
    await rejectsWith(readBlob(client, digest), "data-loss", /do not match/);
    await client.close();
  });

  test("a reader that pauses holds the server back (backpressure), and one that stops ends the call", async () => {
    let produced = 0;
    let finished = false;
    const piece = new Uint8Array(1 << 20);
    const client = await serve(BlobService, {
      ...blobServiceHandlers(new MemoryBlobService()),
      stat: async () => ({}),
      async *read() {
        try {
          for (; produced < 1024; produced++) yield { data: piece };
        } finally {
          finished = true;
        }
      },
    });
    const stream = (await client.read(blake3(piece)))![Symbol.asyncIterator]();
    await stream.next();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // 1 GiB offered; only what fits in the transport's buffers may have been produced.
    assert.ok(produced < 64, `the server produced ${produced} MiB ahead of a paused reader`);
    await stream.return!();
    for (let i = 0; i < 50 && !finished; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(finished, "the server kept reading after the client went away");
    await client.close();
  });
});
