// The store daemon: a Store's BlobService, DirectoryService (tvix.castore.v1) and
// PathInfoService (tvix.store.v1) over gRPC, wire-compatible with Tvix, plus the standard
// grpc.health.v1 service that probes and clients use to tell when it is ready.
import { lstat, unlink } from "node:fs/promises";
import { connect } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { blobServiceHandlers } from "../castore/grpc/blob-server.ts";
import { CHANNEL_OPTIONS } from "../castore/grpc/channel.ts";
import { directoryServiceHandlers } from "../castore/grpc/directory-server.ts";
import { type DescService } from "@bufbuild/protobuf";
import { type ServiceHandlers, serviceImplementation } from "../castore/grpc/server.ts";
import { CastoreError } from "../castore/errors.ts";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../proto/gen/grpc/health/v1/health_pb.js";
import { BlobService } from "../proto/gen/tvix/castore/v1/rpc_blobstore_pb.js";
import { DirectoryService } from "../proto/gen/tvix/castore/v1/rpc_directory_pb.js";
import { PathInfoService } from "../proto/gen/tvix/store/v1/rpc_pathinfo_pb.js";
import type { Store } from "./composition.ts";
import { pathInfoServiceHandlers } from "./grpc/path-info-server.ts";

export interface Daemon {
  /** Where it listens: `unix:///PATH` or `HOST:PORT` (with the port chosen if 0 was asked for). */
  readonly address: string;
  /** The store URL clients use to reach it: `grpc+unix:///PATH` or `grpc+http://HOST:PORT`. */
  readonly url: string;
  /** Stops accepting calls, lets running ones finish (for a while), and removes the socket. */
  close(): Promise<void>;
}

/** Running calls get this long to finish when the daemon closes; then they are cut off. */
const SHUTDOWN_GRACE_MS = 5_000;

type ListenAddress = { kind: "unix"; path: string } | { kind: "tcp"; host: string; port: number };

export function parseListenAddress(listen: string): ListenAddress {
  if (listen.startsWith("unix://")) {
    const path = listen.slice("unix://".length);
    if (!path.startsWith("/")) throw new CastoreError("invalid-argument", `invalid listen address '${listen}': expected unix:///ABSOLUTE/PATH`);
    return { kind: "unix", path };
  }
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]/]+):(\d{1,5})$/.exec(listen);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw new CastoreError("invalid-argument", `invalid listen address '${listen}': expected unix:///PATH or HOST:PORT`);
  return { kind: "tcp", host: match[1], port };
}

/** Removes a socket file left by a daemon that is gone; refuses one that still answers. */
async function clearStaleSocket(path: string): Promise<void> {
  const stats = await lstat(path).catch(() => undefined);
  if (stats === undefined) return;
  if (!stats.isSocket()) throw new CastoreError("invalid-argument", `cannot listen on '${path}': it exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
  if (alive) throw new CastoreError("unavailable", `cannot listen on '${path}': another process is listening there`);
  await unlink(path);
}

function healthHandlers(services: string[], closing: Promise<void>): ServiceHandlers<typeof Health> {
  const known = (service: string) => service === "" || services.includes(service);
  return {
    async check({ service }) {
      if (!known(service)) throw new CastoreError("not-found", `unknown service '${service}'`);
      return { status: ServingStatus.SERVING };
    },
    async *watch({ service }, { signal }) {
      if (!known(service)) {
        yield { status: ServingStatus.SERVICE_UNKNOWN };
        return;
      }
      yield { status: ServingStatus.SERVING };
      await Promise.race([closing, new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }))]);
      if (!signal.aborted) yield { status: ServingStatus.NOT_SERVING };
    },
  };
}

/** A further service served beside the store's (the builder daemon's BuildServices). */
export interface ServedService {
  service: DescService;
  handlers: ServiceHandlers<DescService>;
}

export function servedService<S extends DescService>(service: S, handlers: ServiceHandlers<S>): ServedService {
  return { service, handlers: handlers as ServiceHandlers<DescService> };
}

/**
 * Serves `store` (and `extraServices`) on `listen` (`unix:///PATH` or `HOST:PORT`) until
 * closed; the caller closes the store.
 */
export async function serveStore(store: Store, listen: string, extraServices: ServedService[] = []): Promise<Daemon> {
  const address = parseListenAddress(listen);
  if (address.kind === "unix") await clearStaleSocket(address.path);

  const server = new grpc.Server(CHANNEL_OPTIONS);
  let startClosing!: () => void;
  const closing = new Promise<void>((resolve) => (startClosing = resolve));
  const add = <S extends DescService>(service: S, handlers: ServiceHandlers<S>): void => {
    const { definition, implementation } = serviceImplementation(service, handlers);
    server.addService(definition, implementation);
  };
  add(BlobService, blobServiceHandlers(store.blobs));
  add(DirectoryService, directoryServiceHandlers(store.directories));
  add(PathInfoService, pathInfoServiceHandlers(store));
  for (const { service, handlers } of extraServices) add(service, handlers);
  const names = [BlobService, DirectoryService, PathInfoService, ...extraServices.map((extra) => extra.service)].map((service) => service.typeName);
  add(Health, healthHandlers(names, closing));

  const target = address.kind === "unix" ? `unix://${address.path}` : `${address.host}:${address.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  ).catch((err: Error) => {
    server.forceShutdown();
    // grpc-js wraps the system's reason: "No address added out of total 1 resolved errors: [listen EADDRINUSE: …]".
    const reason = /errors: \[(.*)\]$/.exec(err.message)?.[1] ?? err.message;
    throw new CastoreError("unavailable", `cannot listen on '${listen}': ${reason}`, { cause: err });
  });

  const bound = address.kind === "unix" ? `unix://${address.path}` : `${address.host}:${port}`;
  let closed: Promise<void> | undefined;
  return {
    address: bound,
    url: address.kind === "unix" ? `grpc+unix://${address.path}` : `grpc+http://${bound}`,
    close: () =>
      (closed ??= (async () => {
        startClosing();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, SHUTDOWN_GRACE_MS);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        if (address.kind === "unix") await unlink(address.path).catch(() => {});
      })()),
  };
}
