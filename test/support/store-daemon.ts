// `tvix store daemon` in its own process for the gRPC tests, and raw grpc-js calls (bytes in,
// bytes out) that use nothing of our own gRPC client.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { type DescMessage, type MessageInitShape, type MessageShape, create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { HealthCheckRequestSchema, HealthCheckResponseSchema, HealthCheckResponse_ServingStatus } from "../../src/proto/gen/grpc/health/v1/health_pb.js";
import { type Store, openStore } from "../../src/store/composition.ts";

export const NODE = join(import.meta.dirname, "../../node_modules/.bin/node");
export const TVIX = join(import.meta.dirname, "../../bin/tvix.js");

// ---- raw grpc-js calls: bytes in, bytes out, nothing of our client code ----

export const identity = (bytes: Buffer): Buffer => bytes;
export const encode = <D extends DescMessage>(schema: D, message: MessageInitShape<D>): Buffer => Buffer.from(toBinary(schema, create(schema, message)));
export const decode = <D extends DescMessage>(schema: D, bytes: Buffer): MessageShape<D> => fromBinary(schema, bytes);

export function rawClient(target: string): grpc.Client {
  return new grpc.Client(target, grpc.credentials.createInsecure());
}

export function rawUnary(client: grpc.Client, path: string, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => client.makeUnaryRequest(path, identity, identity, request, (err, reply) => (err ? reject(err) : resolve(reply!))));
}

export async function rawServerStream(client: grpc.Client, path: string, request: Buffer): Promise<Buffer[]> {
  const replies: Buffer[] = [];
  for await (const reply of client.makeServerStreamRequest(path, identity, identity, request)) replies.push(reply as Buffer);
  return replies;
}

export function rawClientStream(client: grpc.Client, path: string, requests: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const call = client.makeClientStreamRequest(path, identity, identity, (err, reply) => (err ? reject(err) : resolve(reply!)));
    for (const request of requests) call.write(request);
    call.end();
  });
}

/** Asserts that `promise` fails with gRPC status `code` and details matching `pattern`. */
export async function rejectsWithStatus(promise: Promise<unknown>, code: grpc.status, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: grpc.ServiceError) => {
    assert.equal(grpc.status[err.code], grpc.status[code], err.details);
    assert.match(err.details, pattern);
    return true;
  });
}

// ---- the daemon in its own process ----

export interface DaemonProcess {
  /** The store URL clients use. */
  url: string;
  /** The grpc-js target of its address. */
  target: string;
  child: ChildProcess;
  /** SIGTERM; resolves with the exit code and stderr once it is gone. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; stderr: string }>;
}

export async function healthCheck(target: string, service = ""): Promise<number> {
  const client = rawClient(target);
  try {
    const reply = await rawUnary(client, "/grpc.health.v1.Health/Check", encode(HealthCheckRequestSchema, { service }));
    return decode(HealthCheckResponseSchema, reply).status;
  } finally {
    client.close();
  }
}

/** Starts `tvix store daemon` and waits until its health check answers SERVING. */
export async function startDaemon(listen: string, store = "memory://"): Promise<DaemonProcess> {
  const child = spawn(NODE, [TVIX, "store", "daemon", "--listen", listen, "--store", store], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr!.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // The address line tells the port when 0 was asked for.
  const deadline = Date.now() + 20_000;
  let match: RegExpExecArray | null = null;
  while (!(match = /^listening on (\S+) \(clients: --store (\S+)\)$/m.exec(stdout))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the daemon did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const [, target, url] = match;
  while ((await healthCheck(target).catch(() => undefined)) !== HealthCheckResponse_ServingStatus.SERVING) {
    if (Date.now() > deadline) throw new Error("the daemon never became healthy");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url,
    target,
    child,
    stop: async (signal = "SIGTERM") => {
      child.kill(signal);
      return { code: await exited, stderr };
    },
  };
}

/** A store through a fresh daemon; closing it stops the daemon, which must exit cleanly. */
export async function storeThroughDaemon(listen: () => string): Promise<Store> {
  const daemon = await startDaemon(listen());
  const store = await openStore(daemon.url);
  return {
    ...store,
    close: async () => {
      await store.close();
      const { code, stderr } = await daemon.stop();
      assert.equal(code, 0, stderr);
      assert.equal(stderr, "SIGTERM: shutting down\n");
    },
  };
}
