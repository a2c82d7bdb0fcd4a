// The builder daemon's services: a BuildService (any backend, e.g. runc) behind gRPC.
//
// Protocol (proto/tvixts/build/v1/rpc_remote_build.proto, beside Tvix's unchanged
// tvix.build.v1.BuildService.DoBuild, which runs on the daemon's own store):
//
// - The daemon serves its own store's castore services (and PathInfoService) on the same
//   address. They are the way contents travel when the caller's store is out of reach: the
//   caller puts the inputs the daemon lacks there (asking per blob whether it has it), and
//   fetches the outputs it lacks from there once the build is done. Every blob is checked
//   against its digest on both sides, transfers have gRPC flow control as backpressure, and
//   nothing the other side has already is sent twice.
// - ProbeStore(url): can the daemon reach the caller's store? It opens the URL (only grpc+…
//   URLs: a caller must not make the daemon open files on its host) and makes one cheap call
//   within PROBE_DEADLINE_MS. Open stores are kept for later builds and probes.
// - Build(request, push_store_url, timeouts) streams the log, then one result or failure. With
//   push_store_url the build reads its inputs from that store and ingests its outputs into it
//   (the result says `pushed`); a store that has become unreachable fails the call UNAVAILABLE
//   rather than building elsewhere, since the caller put no inputs here. Without it, the
//   daemon's own store is used. Cancelling the call aborts the build.
//
// So the caller (client.ts) probes, then either builds with its store named, or puts the inputs
// here, builds, and fetches the outputs: both give the same output nodes, and its store ends up
// holding them.
import { CastoreError } from "../../castore/errors.ts";
import { EMPTY_DIGEST } from "../../castore/digest.ts";
import type { ServiceHandlers } from "../../castore/grpc/server.ts";
import { nodeToProto } from "../../castore/proto.ts";
import { renameNode } from "../../castore/node.ts";
import { status } from "@grpc/grpc-js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { StatusError } from "../../castore/grpc/status.ts";
import type { BuildRequest, BuildSchema } from "../../proto/gen/tvix/build/v1/build_pb.js";
import { BuildService as TvixBuildService } from "../../proto/gen/tvix/build/v1/rpc_build_pb.js";
import { type BuildEventSchema, RemoteBuildService } from "../../proto/gen/tvixts/build/v1/rpc_remote_build_pb.js";
import { type Store, openStore } from "../../store/composition.ts";
import { type Daemon, serveStore, servedService } from "../../store/daemon.ts";
import { BuildError, type BuildOptions, type BuildOutput, type BuildService } from "../build-service.ts";

/** How long a probe of a push store may take: connecting plus one call. */
export const PROBE_DEADLINE_MS = 3_000;

/** Log bytes sent in one message at most; chunks that queue up while the client is behind are joined up to this. */
const LOG_MESSAGE_BYTES = 64 * 1024;

/** Makes the BuildService that builds with a given store (inputs read from it, outputs put in it). */
export type BuilderFactory = (store: Store) => Promise<BuildService>;

type Event = MessageInitShape<typeof BuildEventSchema>;

/** The Build message DoBuild answers with: output nodes named by the basenames of the request's outputs. */
export function buildToProto(request: BuildRequest, outputs: BuildOutput[]): MessageInitShape<typeof BuildSchema> {
  return {
    buildRequest: request,
    outputs: outputs.map((output, i) => nodeToProto(renameNode(output.node, request.outputs[i].split("/").at(-1)!))),
    outputsNeedles: outputs.map((output) => ({ needles: output.needles.map(BigInt) })),
  };
}

/**
 * The stores the daemon was asked to push to, each opened once (for the daemon's life: grpc-js
 * reconnects by itself, and builds may be using it) and probed before each use.
 */
class PushTargets {
  private readonly open = new Map<string, Promise<Store>>();

  /** The store at `url`, if it answers now; otherwise an unavailable CastoreError saying why. */
  async reach(url: string): Promise<Store> {
    if (!url.startsWith("grpc+")) throw new CastoreError("invalid-argument", `cannot push to '${url}': a push store must be a grpc+unix, grpc+http or grpc+https URL`);
    let opening = this.open.get(url);
    if (opening === undefined) {
      opening = openStore(url);
      this.open.set(url, opening);
      // A URL that cannot be opened at all (it is invalid) is not kept.
      opening.catch(() => this.open.delete(url));
    }
    const store = await opening;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CastoreError("unavailable", `no answer within ${PROBE_DEADLINE_MS} ms`)), PROBE_DEADLINE_MS);
      });
      await Promise.race([store.blobs.has(EMPTY_DIGEST), timeout]);
      return store;
    } catch (err) {
      throw new CastoreError("unavailable", `cannot reach the push store ${url}: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const stores = await Promise.allSettled(this.open.values());
    this.open.clear();
    await Promise.all(stores.map((store) => (store.status === "fulfilled" ? store.value.close() : undefined)));
  }
}

/** BuildServices by store, made once each. */
class Builders {
  private readonly made = new Map<Store, Promise<BuildService>>();
  private readonly factory: BuilderFactory;

  constructor(factory: BuilderFactory) {
    this.factory = factory;
  }

  for(store: Store): Promise<BuildService> {
    let builder = this.made.get(store);
    if (builder === undefined) {
      builder = this.factory(store);
      this.made.set(store, builder);
      builder.catch(() => this.made.delete(store));
    }
    return builder;
  }

  async close(): Promise<void> {
    const builders = await Promise.allSettled(this.made.values());
    this.made.clear();
    await Promise.all(builders.map((builder) => (builder.status === "fulfilled" ? builder.value.close() : undefined)));
  }
}

/** At most `limit` builds at once; the others wait in order (or drop out when cancelled). */
class BuildSlots {
  private readonly limit: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Waits for a slot; the returned function frees it. */
  async acquire(signal: AbortSignal): Promise<() => void> {
    while (this.running >= this.limit) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener("abort", wake);
          const index = this.waiting.indexOf(wake);
          if (index >= 0) this.waiting.splice(index, 1);
          resolve();
        };
        this.waiting.push(wake);
        signal.addEventListener("abort", wake, { once: true });
      });
    }
    signal.throwIfAborted();
    this.running++;
    return () => {
      this.running--;
      this.waiting[0]?.();
    };
  }
}

/** Log chunks from a synchronous callback to an async reader, joined while the reader is behind. */
class LogQueue {
  private chunks: Uint8Array[] = [];
  private wake: (() => void) | undefined;

  push = (chunk: Uint8Array): void => {
    // The builder may reuse its buffer.
    this.chunks.push(chunk.slice());
    this.wake?.();
  };

  /** Waits until there is log or `until` settles. */
  async wait(until: Promise<unknown>): Promise<void> {
    if (this.chunks.length > 0) return;
    await Promise.race([new Promise<void>((resolve) => (this.wake = resolve)), until.then(() => {}, () => {})]);
    this.wake = undefined;
  }

  /** Takes what is queued, as messages of at most LOG_MESSAGE_BYTES. */
  *take(): Iterable<Uint8Array> {
    const chunks = this.chunks;
    this.chunks = [];
    let pending: Uint8Array[] = [];
    let size = 0;
    for (const chunk of chunks) {
      for (let offset = 0; offset < chunk.length; offset += LOG_MESSAGE_BYTES) {
        const piece = chunk.subarray(offset, offset + LOG_MESSAGE_BYTES);
        if (size + piece.length > LOG_MESSAGE_BYTES) {
          yield Buffer.concat(pending);
          pending = [];
          size = 0;
        }
        pending.push(piece);
        size += piece.length;
      }
    }
    if (size > 0) yield Buffer.concat(pending);
  }
}

export interface BuilderDaemonOptions {
  /** The daemon's own store: for DoBuild, and for builds whose caller names no reachable store. */
  store: Store;
  /** Makes the BuildService for a store. */
  builderFor: BuilderFactory;
  /** Builds run at once at most; more wait for a free slot. */
  maxBuilds: number;
}

export interface BuilderHandlers {
  tvix: ServiceHandlers<typeof TvixBuildService>;
  remote: ServiceHandlers<typeof RemoteBuildService>;
  close(): Promise<void>;
}

export function builderHandlers({ store, builderFor, maxBuilds }: BuilderDaemonOptions): BuilderHandlers {
  const pushTargets = new PushTargets();
  const builders = new Builders(builderFor);
  const slots = new BuildSlots(maxBuilds);

  /** Runs one build on `buildStore` once a slot is free. */
  async function runBuild(request: BuildRequest, buildStore: Store, options: BuildOptions & { signal: AbortSignal }): Promise<BuildOutput[]> {
    const builder = await builders.for(buildStore);
    const release = await slots.acquire(options.signal);
    try {
      return await builder.doBuild(request, options);
    } finally {
      release();
    }
  }

  /** Runs `request` with `options` on `buildStore`, yielding log events as they come and the outcome last. */
  async function* run(request: BuildRequest, buildStore: Store, options: BuildOptions & { signal: AbortSignal }, pushed: boolean): AsyncIterable<Event> {
    const log = new LogQueue();
    const outcome = runBuild(request, buildStore, { ...options, onLog: log.push });
    outcome.catch(() => {});
    let settled = false;
    outcome.then(() => (settled = true), () => (settled = true));
    while (!settled) {
      await log.wait(outcome);
      for (const data of log.take()) yield { event: { case: "log", value: data } };
    }
    for (const data of log.take()) yield { event: { case: "log", value: data } };
    try {
      yield { event: { case: "result", value: { build: buildToProto(request, await outcome), pushed } } };
    } catch (err) {
      if (!(err instanceof BuildError) || options.signal.aborted) throw err;
      yield { event: { case: "failure", value: { message: err.message, logTail: err.logTail } } };
    }
  }

  return {
    tvix: {
      async doBuild(request, { signal }) {
        try {
          return buildToProto(request, await runBuild(request, store, { signal }));
        } catch (err) {
          if (!(err instanceof BuildError)) throw err;
          throw new StatusError(status.ABORTED, `${err.message}${err.logTail ? `\n${err.logTail}` : ""}`);
        }
      },
    },
    remote: {
      async probeStore({ storeUrl }) {
        try {
          await pushTargets.reach(storeUrl);
          return { reachable: true };
        } catch (err) {
          return { reachable: false, reason: (err as Error).message };
        }
      },
      async *build(message, { signal }) {
        if (message.request === undefined) throw new CastoreError("invalid-argument", "RemoteBuildRequest: request is not set");
        const pushing = message.pushStoreUrl !== "";
        const buildStore = pushing ? await pushTargets.reach(message.pushStoreUrl) : store;
        yield* run(message.request, buildStore, { signal, timeoutSeconds: message.timeoutSeconds, maxSilentSeconds: message.maxSilentSeconds }, pushing);
      },
    },
    close: async () => {
      await builders.close();
      await pushTargets.close();
    },
  };
}

/** `tvix builder daemon`: the build services plus the own store's services on `listen`. */
export async function serveBuilder(options: BuilderDaemonOptions, listen: string): Promise<Daemon> {
  const handlers = builderHandlers(options);
  try {
    const daemon = await serveStore(options.store, listen, [servedService(TvixBuildService, handlers.tvix), servedService(RemoteBuildService, handlers.remote)]);
    return {
      ...daemon,
      close: async () => {
        await daemon.close();
        await handlers.close();
      },
    };
  } catch (err) {
    await handlers.close();
    throw err;
  }
}
