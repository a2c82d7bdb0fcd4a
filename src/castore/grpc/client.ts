// Calling a protoc-gen-es service over a @grpc/grpc-js connection: requests are encoded with the
// method's schemas, replies decoded (keeping unknown fields, so callers can refuse them), and a
// failed call becomes the CastoreError the server meant (status.ts). Outgoing streams wait
// while the server is behind; incoming streams are read only as fast as they are consumed.
import { once } from "node:events";
import { type DescMessage, type DescService, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { CastoreError } from "../errors.ts";
import { decodeMessage, encodeMessage, methodPath } from "./server.ts";
import { fromStatus } from "./status.ts";

type MethodName<S extends DescService> = keyof S["method"] & string;
type Request<S extends DescService, K extends MethodName<S>> = MessageInitShape<S["method"][K]["input"]>;
type Reply<S extends DescService, K extends MethodName<S>> = MessageShape<S["method"][K]["output"]>;

/** An outgoing stream of requests with one reply at the end. */
export interface RequestStream<In, Out> {
  /** Sends one message; resolves once the connection can take more. */
  write(message: In): Promise<void>;
  /** Ends the stream and resolves with the server's reply. */
  finish(): Promise<Out>;
  /** Gives up: the server sees the call cancelled and keeps nothing of it. */
  cancel(): void;
}

export class ServiceClient<S extends DescService> {
  private readonly service: S;
  private readonly client: grpc.Client;
  /** Names the server in errors about the connection. */
  readonly where: string;

  constructor(service: S, client: grpc.Client, where: string) {
    this.service = service;
    this.client = client;
    this.where = where;
  }

  private method<K extends MethodName<S>>(name: K) {
    const method = this.service.method[name];
    return {
      path: methodPath(method),
      serialize: (message: MessageInitShape<DescMessage>) => encodeMessage(method.input, message),
      deserialize: (bytes: Buffer) => decodeMessage(method.output, bytes),
    };
  }

  unary<K extends MethodName<S>>(name: K, request: Request<S, K>): Promise<Reply<S, K>> {
    const { path, serialize, deserialize } = this.method(name);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(path, serialize, deserialize, request, (err, reply) => {
        if (err) reject(fromStatus(err, this.where));
        else resolve(reply as Reply<S, K>);
      });
    });
  }

  /** The replies to one request; `signal` cancels the call even while a reply is awaited. */
  async *serverStream<K extends MethodName<S>>(name: K, request: Request<S, K>, { signal }: { signal?: AbortSignal } = {}): AsyncIterable<Reply<S, K>> {
    const { path, serialize, deserialize } = this.method(name);
    signal?.throwIfAborted();
    const call = this.client.makeServerStreamRequest(path, serialize, deserialize, request);
    const cancel = () => call.cancel();
    signal?.addEventListener("abort", cancel, { once: true });
    try {
      for await (const reply of call) yield reply as Reply<S, K>;
    } catch (err) {
      throw fromStatus(err, this.where);
    } finally {
      signal?.removeEventListener("abort", cancel);
      // A consumer that stops early ends the call (a no-op once it has completed).
      call.cancel();
    }
  }

  /** Closes the connection (shared by the services on it; closing twice is harmless). */
  close(): void {
    this.client.close();
  }

  requestStream<K extends MethodName<S>>(name: K): RequestStream<Request<S, K>, Reply<S, K>> {
    const { path, serialize, deserialize } = this.method(name);
    // Messages are encoded as they are written, not when grpc-js gets round to sending them:
    // the caller may reuse its buffers as soon as a write resolves.
    let call!: grpc.ClientWritableStream<Buffer>;
    const reply = new Promise<Reply<S, K>>((resolve, reject) => {
      call = this.client.makeClientStreamRequest(path, (bytes: Buffer) => bytes, deserialize, (err, message) => {
        if (err) reject(fromStatus(err, this.where));
        else resolve(message as Reply<S, K>);
      });
    });
    // A reply before the stream is finished can only be a failure (or a broken server): later
    // writes report it instead of sending into a finished call.
    const endedEarly = reply.then(() => {
      throw new CastoreError("unavailable", `${this.where}: the server ended ${path} before the stream was complete`);
    });
    let failure: unknown;
    endedEarly.catch((err: unknown) => (failure = err));
    return {
      write: async (message) => {
        if (failure !== undefined) throw failure;
        if (call.write(serialize(message))) return;
        await Promise.race([once(call, "drain"), endedEarly]);
      },
      finish: () => {
        call.end();
        return reply;
      },
      cancel: () => call.cancel(),
    };
  }
}
