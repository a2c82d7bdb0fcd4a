// A BuildService on a remote `tvix builder daemon` (`grpc+unix:///SOCKET`, `grpc+http://HOST:PORT`).
// The protocol is described in server.ts. Each build: if the caller's store has a URL the
// daemon can reach (ProbeStore), the daemon builds on that store directly and pushes the
// outputs there; otherwise the inputs the daemon lacks are put into its store first, and the
// outputs fetched from it afterwards. Either way the outputs end up in `store`.
import type * as grpc from "@grpc/grpc-js";
import { GrpcBlobService } from "../../castore/grpc/blob-client.ts";
import { connectGrpc } from "../../castore/grpc/channel.ts";
import { ServiceClient } from "../../castore/grpc/client.ts";
import { GrpcDirectoryService } from "../../castore/grpc/directory-client.ts";
import { checkReply } from "../../castore/grpc/status.ts";
import { CastoreError } from "../../castore/errors.ts";
import { type Node, renameNode } from "../../castore/node.ts";
import { nodeFromProto } from "../../castore/proto.ts";
import type { Build, BuildRequest } from "../../proto/gen/tvix/build/v1/build_pb.js";
import { RemoteBuildService } from "../../proto/gen/tvixts/build/v1/rpc_remote_build_pb.js";
import { copyPathContents } from "../../store/closure.ts";
import type { Store } from "../../store/composition.ts";
import { BuildError, type BuildOptions, type BuildOutput, type BuildService } from "../build-service.ts";

export interface GrpcBuildServiceOptions {
  /**
   * The URL of `store` as the builder would reach it (a grpc+… store URL): builds then push to
   * it directly when the builder can reach it. Without it, contents always travel through the
   * builder connection.
   */
  pushStoreUrl?: string;
}

/** The outputs a Build reply lists, checked against the request: one per output, needles in range. */
export function outputsFromProto(request: BuildRequest, build: Build): BuildOutput[] {
  if (build.outputs.length !== request.outputs.length || build.outputsNeedles.length !== build.outputs.length) {
    throw new CastoreError("invalid-argument", `a build result with ${build.outputs.length} outputs and ${build.outputsNeedles.length} needle lists for ${request.outputs.length} requested outputs`);
  }
  return build.outputs.map((message, i) => ({
    node: renameNode(nodeFromProto(message), ""),
    needles: build.outputsNeedles[i].needles.map((needle) => {
      if (needle >= BigInt(request.refscanNeedles.length)) throw new CastoreError("invalid-argument", `a build result with needle index ${needle} of ${request.refscanNeedles.length}`);
      return Number(needle);
    }),
  }));
}

export class GrpcBuildService implements BuildService {
  private readonly rpc: ServiceClient<typeof RemoteBuildService>;
  /** The builder's own store's castore services, on the same connection. */
  private readonly builderStore: Pick<Store, "blobs" | "directories">;
  private readonly store: Store;
  private readonly pushStoreUrl: string | undefined;

  constructor(client: grpc.Client, where: string, store: Store, options: GrpcBuildServiceOptions = {}) {
    this.rpc = new ServiceClient(RemoteBuildService, client, where);
    this.builderStore = { blobs: new GrpcBlobService(client, where), directories: new GrpcDirectoryService(client, where) };
    this.store = store;
    this.pushStoreUrl = options.pushStoreUrl;
  }

  /** Whether the builder reaches the push store now. */
  private async canPush(): Promise<boolean> {
    if (this.pushStoreUrl === undefined) return false;
    return (await this.rpc.unary("probeStore", { storeUrl: this.pushStoreUrl })).reachable;
  }

  /**
   * Copies the contents of `nodes` that `to` lacks. A tree whose root directory `to` has is
   * skipped whole: both stores take directories only after their blobs and subdirectories.
   */
  private async copyNodes(nodes: readonly Node[], from: Pick<Store, "blobs" | "directories">, to: Pick<Store, "blobs" | "directories">, signal?: AbortSignal): Promise<void> {
    for (const node of nodes) {
      signal?.throwIfAborted();
      if (node.kind === "directory" && (await to.directories.get(node.digest)) !== undefined) continue;
      await copyPathContents({ node }, from, to);
    }
  }

  async doBuild(request: BuildRequest, options: BuildOptions = {}): Promise<BuildOutput[]> {
    const { signal } = options;
    const push = await this.canPush();
    if (!push) await this.copyNodes(request.inputs.map((input) => nodeFromProto(input)), this.store, this.builderStore, signal);
    const events = this.rpc.serverStream(
      "build",
      {
        request,
        pushStoreUrl: push ? this.pushStoreUrl : "",
        timeoutSeconds: options.timeoutSeconds ?? 0,
        maxSilentSeconds: options.maxSilentSeconds ?? 0,
      },
      { signal },
    );
    try {
      for await (const { event } of events) {
        switch (event.case) {
          case "log":
            options.onLog?.(event.value);
            break;
          case "failure":
            throw new BuildError(event.value.message, event.value.logTail);
          case "result": {
            const { build, pushed } = event.value;
            if (pushed !== push) throw new CastoreError("data-loss", `${this.rpc.where} ${pushed ? "pushed outputs it was not asked to push" : "did not push the outputs"}`);
            if (build === undefined) throw new CastoreError("data-loss", `${this.rpc.where} sent a build result without its outputs`);
            const outputs = checkReply(() => outputsFromProto(request, build), this.rpc.where);
            if (!pushed) await this.copyNodes(outputs.map((output) => output.node), this.builderStore, this.store, signal);
            return outputs;
          }
          case undefined:
            throw new CastoreError("data-loss", `${this.rpc.where} sent a build event of an unknown kind`);
        }
      }
    } catch (err) {
      // A cancelled call reports itself as such, not as a broken connection.
      signal?.throwIfAborted();
      throw err;
    }
    throw new CastoreError("data-loss", `${this.rpc.where} ended the build without a result`);
  }

  async close(): Promise<void> {
    this.rpc.close();
  }
}

/**
 * The BuildService a builder URL names: `grpc+unix:///SOCKET` or `grpc+http(s)://HOST:PORT`,
 * with `?push-store=URL` naming `store` as the builder would reach it (its own parameter, since
 * the builder may see the store at another address than the caller does). Outputs end up in `store`.
 */
export async function openGrpcBuildService(url: URL, store: Store): Promise<BuildService> {
  const channelUrl = new URL(url);
  const pushStoreUrl = channelUrl.searchParams.get("push-store") ?? undefined;
  channelUrl.searchParams.delete("push-store");
  if (pushStoreUrl === "") throw new CastoreError("invalid-argument", `invalid builder URL '${url.href}': push-store is empty`);
  return new GrpcBuildService(await connectGrpc(channelUrl), `the builder at ${channelUrl.href}`, store, { pushStoreUrl });
}
