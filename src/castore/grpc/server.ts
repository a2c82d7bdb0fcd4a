// Serving a protoc-gen-es service with @grpc/grpc-js: the service descriptor gives the method
// paths and message schemas, and each method is written as a plain async function (unary),
// async generator (server stream) or a function consuming an async iterable (client stream).
// This layer does the rest once for every service: decoding (malformed or mistyped requests are
// INVALID_ARGUMENT), error statuses, backpressure on outgoing streams, and cancellation.
import { type EventEmitter, once } from "node:events";
import { type DescMessage, type DescMethod, type DescService, type MessageInitShape, type MessageShape, create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { CastoreError } from "../errors.ts";
import { toStatus } from "./status.ts";

type Input<M> = M extends { input: infer I extends DescMessage } ? MessageShape<I> : never;
type Output<M> = M extends { output: infer O extends DescMessage } ? MessageInitShape<O> : never;

/** A reply as handlers give it; encoded by the definition's responseSerialize. */
type Reply = MessageInitShape<DescMessage>;

/** What a handler learns about its call: `signal` aborts when the client goes away. */
export interface CallContext {
  signal: AbortSignal;
}

export type Handler<M> = M extends { methodKind: "unary" }
  ? (request: Input<M>, call: CallContext) => Promise<Output<M>>
  : M extends { methodKind: "server_streaming" }
    ? (request: Input<M>, call: CallContext) => AsyncIterable<Output<M>>
    : M extends { methodKind: "client_streaming" }
      ? (requests: AsyncIterable<Input<M>>, call: CallContext) => Promise<Output<M>>
      : never;

export type ServiceHandlers<S extends DescService> = { [K in keyof S["method"]]: Handler<S["method"][K]> };

/** The gRPC path of a method, `/package.Service/Method`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

export function encodeMessage<D extends DescMessage>(schema: D, message: MessageInitShape<D>): Buffer {
  const bytes = toBinary(schema, create(schema, message));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes a message grpc-js received. Its bytes fields are views into the Buffer, so it is
 * viewed as a plain Uint8Array first: digests and data then compare equal to ours.
 */
export function decodeMessage<D extends DescMessage>(schema: D, bytes: Buffer): MessageShape<D> {
  return fromBinary(schema, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

function decodeRequest<D extends DescMessage>(schema: D, bytes: Buffer): MessageShape<D> {
  try {
    return decodeMessage(schema, bytes);
  } catch (err) {
    throw new CastoreError("invalid-argument", `invalid request: not a ${schema.typeName} message (${(err as Error).message})`);
  }
}

function contextOf(call: EventEmitter): CallContext {
  const controller = new AbortController();
  call.on("cancelled", () => controller.abort());
  return { signal: controller.signal };
}

async function* decodeRequests<D extends DescMessage>(schema: D, call: grpc.ServerReadableStream<Buffer, Reply>, context: CallContext): AsyncIterable<MessageShape<D>> {
  for await (const bytes of call) yield decodeRequest(schema, bytes as Buffer);
  // grpc-js ends the request stream as if half-closed when the client cancels with messages
  // still queued, and reports the cancellation just after: wait for it, so that a cancelled
  // upload is never taken for a complete one.
  await new Promise((resolve) => setImmediate(resolve));
  if (context.signal.aborted) throw new CastoreError("invalid-argument", "the client cancelled the call");
}

// grpc-js types handlers by method kind; one untyped entry point per kind keeps this generic.
type UntypedHandler = (request: never, call: CallContext) => unknown;

function serverHandler(method: DescMethod, handler: UntypedHandler): grpc.UntypedHandleCall {
  const run = handler as (request: unknown, call: CallContext) => unknown;
  switch (method.methodKind) {
    case "unary":
      return (call: grpc.ServerUnaryCall<Buffer, Reply>, callback: grpc.sendUnaryData<Reply>) => {
        (async () => (await run(decodeRequest(method.input, call.request), contextOf(call))) as Reply)().then(
          (response) => callback(null, response),
          (err: unknown) => callback(toStatus(err)),
        );
      };
    case "server_streaming":
      return (call: grpc.ServerWritableStream<Buffer, Reply>) => {
        const context = contextOf(call);
        (async () => {
          const responses = run(decodeRequest(method.input, call.request), context) as AsyncIterable<Reply>;
          for await (const response of responses) {
            if (context.signal.aborted) return;
            // Wait while the client is behind, so that a large blob never sits in memory.
            if (!call.write(response)) await once(call, "drain", { signal: context.signal });
          }
          call.end();
        })().catch((err: unknown) => {
          if (!context.signal.aborted) call.emit("error", toStatus(err));
        });
      };
    case "client_streaming":
      return (call: grpc.ServerReadableStream<Buffer, Reply>, callback: grpc.sendUnaryData<Reply>) => {
        const context = contextOf(call);
        (async () => (await run(decodeRequests(method.input, call, context), context)) as Reply)().then(
          (response) => callback(null, response),
          (err: unknown) => callback(toStatus(err)),
        );
      };
    case "bidi_streaming":
      throw new Error(`${methodPath(method)}: bidirectional streams are not supported`);
  }
}

/** The definition and implementation to pass to `grpc.Server.addService`. */
export function serviceImplementation<S extends DescService>(
  service: S,
  handlers: ServiceHandlers<S>,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const definition: Record<string, grpc.MethodDefinition<Buffer, Reply>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    definition[method.localName] = {
      path: methodPath(method),
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      // Requests are decoded by the handler wrapper, so that a malformed one is INVALID_ARGUMENT
      // with a reason rather than grpc-js's bare INTERNAL.
      requestSerialize: (bytes: Buffer) => bytes,
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: (message: Reply) => encodeMessage(method.output, message),
      responseDeserialize: (bytes: Buffer) => decodeMessage(method.output, bytes),
    };
    implementation[method.localName] = serverHandler(method, (handlers as Record<string, UntypedHandler>)[method.localName]);
  }
  return { definition, implementation };
}
