// The gRPC store end to end: `tvix store daemon` in another process, reached through the
// grpc+unix:// and grpc+http:// clients (the shared backend suite), and attacked with a raw
// grpc-js client sending what our own clients never would. Every refusal must be a clear
// status and leave the store as it was.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type MessageInitShape, type MessageShape, create, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { putBlob } from "../src/castore/blob-service.ts";
import { blake3, digestHex } from "../src/castore/digest.ts";
import { Directory } from "../src/castore/directory.ts";
import { putDirectories } from "../src/castore/directory-service.ts";
import { HealthCheckResponse_ServingStatus } from "../src/proto/gen/grpc/health/v1/health_pb.js";
import { DirectorySchema, NodeSchema } from "../src/proto/gen/tvix/castore/v1/castore_pb.js";
import { BlobChunkSchema, PutBlobResponseSchema, ReadBlobRequestSchema, StatBlobRequestSchema, StatBlobResponseSchema } from "../src/proto/gen/tvix/castore/v1/rpc_blobstore_pb.js";
import { GetDirectoryRequestSchema, PutDirectoryResponseSchema } from "../src/proto/gen/tvix/castore/v1/rpc_directory_pb.js";
import { PathInfoSchema } from "../src/proto/gen/tvix/store/v1/pathinfo_pb.js";
import { CalculateNARResponseSchema, GetPathInfoRequestSchema, ListPathInfoRequestSchema } from "../src/proto/gen/tvix/store/v1/rpc_pathinfo_pb.js";
import { StorePath } from "../src/nix-compat/store-path.ts";
import { openStore } from "../src/store/composition.ts";
import { describeStoreBackend } from "./support/store-backend-suite.ts";
import {
  type DaemonProcess,
  NODE,
  TVIX,
  decode,
  encode,
  healthCheck,
  identity,
  rawClient,
  rawClientStream,
  rawServerStream,
  rawUnary,
  rejectsWithStatus,
  startDaemon,
  storeThroughDaemon,
} from "./support/store-daemon.ts";

const scratch = mkdtempSync(join(tmpdir(), "tvix-grpc-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

let sockets = 0;
describeStoreBackend("gRPC over a unix socket, daemon in another process", () => storeThroughDaemon(() => `unix://${join(scratch, `suite-${sockets++}.sock`)}`));
describeStoreBackend("gRPC over TCP, daemon in another process", () => storeThroughDaemon(() => "127.0.0.1:0"));

// ---- hostile input ----

const digestOf = (fill: number, length = 32) => new Uint8Array(length).fill(fill);
const storeDigest = () => new Uint8Array(randomBytes(20));
const bytes = (text: string) => Buffer.from(text, "latin1");

describe("hostile input against the daemon", () => {
  let daemon: DaemonProcess;
  let client: grpc.Client;
  before(async () => {
    daemon = await startDaemon(`unix://${join(scratch, "hostile.sock")}`);
    client = rawClient(daemon.target);
  });
  after(async () => {
    client.close();
    const { code, stderr } = await daemon.stop();
    assert.equal(code, 0, stderr);
  });

  const stat = (digest: Uint8Array, sendChunks = false) => rawUnary(client, "/tvix.castore.v1.BlobService/Stat", encode(StatBlobRequestSchema, { digest, sendChunks }));
  const read = (digest: Uint8Array) => rawServerStream(client, "/tvix.castore.v1.BlobService/Read", encode(ReadBlobRequestSchema, { digest }));
  const putBlobRaw = (chunks: Buffer[]) => rawClientStream(client, "/tvix.castore.v1.BlobService/Put", chunks);
  const getDirectory = (digest: Uint8Array, recursive = true) =>
    rawServerStream(client, "/tvix.castore.v1.DirectoryService/Get", encode(GetDirectoryRequestSchema, { byWhat: { case: "digest", value: digest }, recursive }));
  const putDirectoriesRaw = (messages: Buffer[]) => rawClientStream(client, "/tvix.castore.v1.DirectoryService/Put", messages);
  const getPathInfo = (digest: Uint8Array) =>
    rawUnary(client, "/tvix.store.v1.PathInfoService/Get", encode(GetPathInfoRequestSchema, { byWhat: { case: "byOutputHash", value: digest } }));
  const putPathInfo = (message: Buffer) => rawUnary(client, "/tvix.store.v1.PathInfoService/Put", message);
  const listPathInfos = async () => (await rawServerStream(client, "/tvix.store.v1.PathInfoService/List", encode(ListPathInfoRequestSchema, {}))).map((b) => decode(PathInfoSchema, b));

  test("blobs: round trip; unknown digests are NOT_FOUND, digests of the wrong length INVALID_ARGUMENT", async () => {
    const data = randomBytes(2_500_000);
    const reply = decode(PutBlobResponseSchema, await putBlobRaw([data.subarray(0, 1000), data.subarray(1000)].map((d) => encode(BlobChunkSchema, { data: d }))));
    assert.equal(digestHex(reply.digest), digestHex(blake3(data)));
    const chunks = await read(reply.digest);
    assert.ok(chunks.length >= 3, "reads come in messages of at most 1 MiB");
    const received = chunks.map((c) => decode(BlobChunkSchema, c).data);
    assert.ok(received.every((d) => d.length <= 1 << 20));
    assert.ok(Buffer.concat(received).equals(data));
    assert.deepEqual(decode(StatBlobResponseSchema, await stat(reply.digest, true)).chunks, []);

    const unknown = blake3(randomBytes(10));
    await rejectsWithStatus(stat(unknown), grpc.status.NOT_FOUND, /not found/);
    await rejectsWithStatus(read(unknown), grpc.status.NOT_FOUND, /not found/);
    await rejectsWithStatus(stat(digestOf(1, 31)), grpc.status.INVALID_ARGUMENT, /32 bytes, not 31/);
    await rejectsWithStatus(read(digestOf(1, 33)), grpc.status.INVALID_ARGUMENT, /32 bytes, not 33/);
    await rejectsWithStatus(read(new Uint8Array(0)), grpc.status.INVALID_ARGUMENT, /not 0/);
  });

  test("blobs: an upload with a malformed message or cancelled midway stores nothing", async () => {
    const first = randomBytes(100_000);
    await rejectsWithStatus(putBlobRaw([encode(BlobChunkSchema, { data: first }), Buffer.from([0x0a, 0xff])]), grpc.status.INVALID_ARGUMENT, /not a tvix.castore.v1.BlobChunk/);
    await rejectsWithStatus(stat(blake3(first)), grpc.status.NOT_FOUND, /not found/);

    const data = randomBytes(4 << 20);
    const cancelled = new Promise<grpc.ServiceError>((resolve) => {
      const call = client.makeClientStreamRequest("/tvix.castore.v1.BlobService/Put", identity, identity, (err) => resolve(err!));
      call.write(encode(BlobChunkSchema, { data: data.subarray(0, 1 << 20) }));
      call.write(encode(BlobChunkSchema, { data: data.subarray(1 << 20) }), () => call.cancel());
    });
    assert.equal((await cancelled).code, grpc.status.CANCELLED);
    await rejectsWithStatus(stat(blake3(data)), grpc.status.NOT_FOUND, /not found/);
    await rejectsWithStatus(stat(blake3(data.subarray(0, 1 << 20))), grpc.status.NOT_FOUND, /not found/);
  });

  const file = (name: string, digest = digestOf(7), size = 1n) => ({ name: bytes(name), digest, size, executable: false });
  const leaf = create(DirectorySchema, { files: [file("a")] });
  const leafDigest = blake3(toBinary(DirectorySchema, leaf));
  const leafSize = 2n;
  const parentOf = (size = leafSize, digest = leafDigest) => create(DirectorySchema, { directories: [{ name: bytes("sub"), digest, size }] });

  async function assertDirectoryAbsent(message: MessageShape<typeof DirectorySchema>): Promise<void> {
    await rejectsWithStatus(getDirectory(blake3(toBinary(DirectorySchema, message))), grpc.status.NOT_FOUND, /not found/);
  }

  test("directories: a stream out of order, with unknown children or wrong sizes is refused and stores nothing", async () => {
    const put = (...messages: MessageShape<typeof DirectorySchema>[]) => putDirectoriesRaw(messages.map((m) => Buffer.from(toBinary(DirectorySchema, m))));
    await rejectsWithStatus(put(parentOf(), leaf), grpc.status.INVALID_ARGUMENT, /not sent before/);
    await rejectsWithStatus(put(leaf, parentOf(leafSize, digestOf(9))), grpc.status.INVALID_ARGUMENT, /not sent before/);
    await rejectsWithStatus(put(leaf, parentOf(leafSize + 1n)), grpc.status.INVALID_ARGUMENT, /size 3, but it has size 2/);
    await rejectsWithStatus(put(leaf, parentOf(0n)), grpc.status.INVALID_ARGUMENT, /size 0, but it has size 2/);
    const stray = create(DirectorySchema, { files: [file("stray")] });
    await rejectsWithStatus(put(stray, leaf), grpc.status.INVALID_ARGUMENT, /not below the root/);
    await rejectsWithStatus(put(), grpc.status.INVALID_ARGUMENT, /no directories/);
    for (const message of [leaf, parentOf(), stray]) await assertDirectoryAbsent(message);
    // The well-formed tree is accepted, which shows the refusals were about the stream.
    const reply = decode(PutDirectoryResponseSchema, await put(leaf, parentOf()));
    assert.equal(digestHex(reply.rootDigest), digestHex(blake3(toBinary(DirectorySchema, parentOf()))));
    assert.equal((await getDirectory(reply.rootDigest)).length, 2);
  });

  test("directories: bad names, unsorted or duplicate entries, unknown fields and bad digests are refused", async () => {
    const cases: [string, Buffer, RegExp][] = [
      ...[".", "..", "a/b", "a\0b", ""].map((name): [string, Buffer, RegExp] => [`name ${JSON.stringify(name)}`, Buffer.from(toBinary(DirectorySchema, create(DirectorySchema, { files: [file(name)] }))), /name/]),
      ["a 256-byte name", Buffer.from(toBinary(DirectorySchema, create(DirectorySchema, { files: [file("x".repeat(256))] }))), /name/],
      ["unsorted", Buffer.from(toBinary(DirectorySchema, create(DirectorySchema, { files: [file("b"), file("a")] }))), /sort/],
      ["duplicate files", Buffer.from(toBinary(DirectorySchema, create(DirectorySchema, { files: [file("a"), file("a")] }))), /duplicate/],
      [
        "a name in two lists",
        Buffer.from(toBinary(DirectorySchema, create(DirectorySchema, { files: [file("a")], symlinks: [{ name: bytes("a"), target: bytes("t") }] }))),
        /duplicate/,
      ],
      ["an empty symlink target", Buffer.from(toBinary(DirectorySchema, create(DirectorySchema, { symlinks: [{ name: bytes("l"), target: new Uint8Array(0) }] }))), /target/],
      ["a 31-byte file digest", Buffer.from(toBinary(DirectorySchema, create(DirectorySchema, { files: [file("a", digestOf(7, 31))] }))), /32 bytes, not 31/],
      // Field 9 does not exist in Directory: its digest would not be the sender's.
      ["an unknown field", Buffer.concat([Buffer.from(toBinary(DirectorySchema, leaf)), Buffer.from([0x48, 0x01])]), /unknown/],
      ["an unknown field in a FileNode", Buffer.from([0x12, 0x05, 0x0a, 0x01, 0x61, 0x48, 0x01]), /unknown/],
      ["bytes that are no protobuf", Buffer.from([0x0a, 0x80]), /not a tvix.castore.v1.Directory/],
    ];
    for (const [what, message, pattern] of cases) {
      await rejectsWithStatus(putDirectoriesRaw([message]), grpc.status.INVALID_ARGUMENT, pattern).catch((err: Error) => {
        throw new Error(`${what}: ${err.message}`);
      });
      await rejectsWithStatus(getDirectory(blake3(message)), grpc.status.NOT_FOUND, /not found/);
    }
    await rejectsWithStatus(getDirectory(digestOf(1, 20)), grpc.status.INVALID_ARGUMENT, /32 bytes, not 20/);
    await rejectsWithStatus(rawServerStream(client, "/tvix.castore.v1.DirectoryService/Get", Buffer.alloc(0)), grpc.status.INVALID_ARGUMENT, /by_what/);
  });

  test("path infos: disagreeing references, bad names and digests, missing narinfo or contents are refused and change nothing", async () => {
    const contents = randomBytes(1000);
    const blobDigest = decode(PutBlobResponseSchema, await putBlobRaw([encode(BlobChunkSchema, { data: contents })])).digest;
    const reference = new StorePath(storeDigest(), "dep");
    const self = new StorePath(storeDigest(), "good");
    const good = {
      node: create(NodeSchema, { node: { case: "file", value: { name: bytes(self.baseName), digest: blobDigest, size: BigInt(contents.length) } } }),
      references: [reference.digest],
      narinfo: { narSize: 1200n, narSha256: digestOf(3), referenceNames: [reference.baseName] },
    };
    const stored = decode(PathInfoSchema, await putPathInfo(encode(PathInfoSchema, good)));
    assert.equal(Buffer.from(stored.node!.node.value!.name).toString(), self.baseName);
    const before = (await listPathInfos()).length;

    const other = new StorePath(storeDigest(), "bad");
    const named = (name: string) => create(NodeSchema, { node: { case: "file", value: { name: bytes(name), digest: blobDigest, size: BigInt(contents.length) } } });
    const bad: [string, MessageInitShape<typeof PathInfoSchema>, grpc.status, RegExp][] = [
      ["no narinfo", { ...good, node: named(other.baseName), narinfo: undefined }, grpc.status.INVALID_ARGUMENT, /narinfo is missing/],
      ["more references than names", { ...good, node: named(other.baseName), references: [reference.digest, storeDigest()] }, grpc.status.INVALID_ARGUMENT, /2 references but 1 reference names/],
      ["a reference that is not its name", { ...good, node: named(other.baseName), references: [storeDigest()] }, grpc.status.INVALID_ARGUMENT, /does not match its name/],
      ["a 19-byte reference", { ...good, node: named(other.baseName), references: [digestOf(1, 19)] }, grpc.status.INVALID_ARGUMENT, /19 bytes, not 20/],
      ["a root name that is no store path", { ...good, node: named("bad") }, grpc.status.INVALID_ARGUMENT, /not a store path/],
      ["an empty root name", { ...good, node: named("") }, grpc.status.INVALID_ARGUMENT, /name/],
      ["a root name with a slash", { ...good, node: named(`${other.baseName}/x`) }, grpc.status.INVALID_ARGUMENT, /name/],
      ["no root node", { ...good, node: undefined }, grpc.status.INVALID_ARGUMENT, /empty/],
      [
        "a 31-byte root digest",
        { ...good, node: create(NodeSchema, { node: { case: "file", value: { name: bytes(other.baseName), digest: digestOf(1, 31), size: 1n } } }) },
        grpc.status.INVALID_ARGUMENT,
        /32 bytes, not 31/,
      ],
      ["a 31-byte nar_sha256", { ...good, node: named(other.baseName), narinfo: { ...good.narinfo, narSha256: digestOf(3, 31) } }, grpc.status.INVALID_ARGUMENT, /nar_sha256 has 31 bytes/],
      [
        "a signature of 63 bytes",
        { ...good, node: named(other.baseName), narinfo: { ...good.narinfo, signatures: [{ name: "k-1", data: digestOf(1, 63) }] } },
        grpc.status.INVALID_ARGUMENT,
        /signature 0/,
      ],
      [
        "a root blob not in the store",
        { ...good, node: create(NodeSchema, { node: { case: "file", value: { name: bytes(other.baseName), digest: blake3(randomBytes(8)), size: 8n } } }) },
        grpc.status.FAILED_PRECONDITION,
        /is not in the store/,
      ],
      [
        "a root directory not in the store",
        { ...good, node: create(NodeSchema, { node: { case: "directory", value: { name: bytes(other.baseName), digest: blake3(randomBytes(8)), size: 2n } } }) },
        grpc.status.FAILED_PRECONDITION,
        /is not in the store/,
      ],
    ];
    for (const [what, message, code, pattern] of bad) {
      await rejectsWithStatus(putPathInfo(encode(PathInfoSchema, message)), code, pattern).catch((err: Error) => {
        throw new Error(`${what}: ${err.message}`);
      });
    }
    await rejectsWithStatus(getPathInfo(other.digest), grpc.status.NOT_FOUND, /no path info/);
    await rejectsWithStatus(getPathInfo(digestOf(1, 32)), grpc.status.INVALID_ARGUMENT, /20 bytes, not 32/);
    assert.equal((await listPathInfos()).length, before);
    assert.equal(decode(PathInfoSchema, await getPathInfo(self.digest)).narinfo?.narSize, 1200n);
  });

  test("CalculateNAR answers what nix-store --dump gives, and refuses nodes whose contents are missing", async () => {
    const store = await openStore(daemon.url);
    try {
      const tree = join(scratch, "nar-tree");
      mkdirSync(join(tree, "sub"), { recursive: true });
      const script = Buffer.from("#!/bin/sh\necho hello\n");
      writeFileSync(join(tree, "sub", "run"), script);
      chmodSync(join(tree, "sub", "run"), 0o755);
      await putBlob(store.blobs, script);
      const sub = Directory.fromNodes([{ kind: "file", name: "run", digest: blake3(script), size: script.length, executable: true }]);
      const root = Directory.fromNodes([sub.toNode("sub"), { kind: "symlink", name: "link", target: "sub/run" }]);
      execFileSync("ln", ["-s", "sub/run", join(tree, "link")]);
      await putDirectories(store.directories, [sub, root]);
      const nar = execFileSync("nix-store", ["--dump", tree], { maxBuffer: 1 << 26 });
      const node = encode(NodeSchema, { node: { case: "directory", value: { name: new Uint8Array(0), digest: root.digest(), size: BigInt(root.size) } } });
      for (let i = 0; i < 2; i++) {
        const reply = decode(CalculateNARResponseSchema, await rawUnary(client, "/tvix.store.v1.PathInfoService/CalculateNAR", node));
        assert.equal(reply.narSize, BigInt(nar.length));
        assert.equal(Buffer.from(reply.narSha256).toString("hex"), createHash("sha256").update(nar).digest("hex"));
      }
      const missing = encode(NodeSchema, { node: { case: "file", value: { name: bytes("x"), digest: blake3(randomBytes(9)), size: 9n } } });
      await rejectsWithStatus(rawUnary(client, "/tvix.store.v1.PathInfoService/CalculateNAR", missing), grpc.status.FAILED_PRECONDITION, /not in the store/);
    } finally {
      await store.close();
    }
  });

  test("health: Check answers SERVING for the server and each service, NOT_FOUND for others", async () => {
    for (const service of ["", "tvix.castore.v1.BlobService", "tvix.castore.v1.DirectoryService", "tvix.store.v1.PathInfoService"]) {
      assert.equal(await healthCheck(daemon.target, service), HealthCheckResponse_ServingStatus.SERVING);
    }
    await rejectsWithStatus(healthCheck(daemon.target, "no.such.Service"), grpc.status.NOT_FOUND, /unknown service/);
  });
});

// ---- the command ----

describe("tvix store daemon, the command", () => {
  const run = (args: string[]) => {
    try {
      return { code: 0, stdout: execFileSync(NODE, [TVIX, "store", "daemon", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }), stderr: "" };
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string };
      return { code: e.status, stdout: e.stdout, stderr: e.stderr };
    }
  };

  test("--help, and bad usage is an error, not a stack trace", () => {
    const help = run(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: tvix store daemon \[--listen unix:\/\/\/PATH \| HOST:PORT\] \[--store URL\]/);
    assert.deepEqual(run(["--listen", "nowhere"]), { code: 1, stdout: "", stderr: "error: invalid listen address 'nowhere': expected unix:///PATH or HOST:PORT\n" });
    assert.deepEqual(run(["--listen", "127.0.0.1:0", "extra"]).code, 1);
    const badStore = run(["--listen", "127.0.0.1:0", "--store", "bogus://"]);
    assert.equal(badStore.code, 1);
    assert.match(badStore.stderr, /^error: unknown store URL scheme 'bogus'/);
  });

  test("a port in use is a clear error; SIGINT shuts down cleanly", async () => {
    const daemon = await startDaemon("127.0.0.1:0");
    const taken = run(["--listen", daemon.target, "--store", "memory://"]);
    // Stopped before asserting anything, so that a failure leaves no daemon behind.
    const { code, stderr } = await daemon.stop("SIGINT");
    assert.equal(taken.code, 1);
    assert.equal(taken.stderr, `error: cannot listen on '${daemon.target}': listen EADDRINUSE: address already in use ${daemon.target}\n`);
    assert.equal(code, 0);
    assert.equal(stderr, "SIGINT: shutting down\n");
  });
});
