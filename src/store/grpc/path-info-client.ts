// A PathInfoService on a remote `tvix.store.v1.PathInfoService`; every PathInfo received is
// validated as one sent to a server would be.
import type * as grpc from "@grpc/grpc-js";
import { CastoreError } from "../../castore/errors.ts";
import { ServiceClient } from "../../castore/grpc/client.ts";
import { checkReply } from "../../castore/grpc/status.ts";
import type { Node } from "../../castore/node.ts";
import { nodeToProto } from "../../castore/proto.ts";
import { PathInfoService } from "../../proto/gen/tvix/store/v1/rpc_pathinfo_pb.js";
import { type PathInfo, pathInfoFromProto, pathInfoToProto } from "../path-info.ts";
import type { PathInfoService as PathInfos } from "../path-info-service.ts";

export class GrpcPathInfoService implements PathInfos {
  private readonly rpc: ServiceClient<typeof PathInfoService>;

  constructor(client: grpc.Client, where: string) {
    this.rpc = new ServiceClient(PathInfoService, client, where);
  }

  async get(digest: Uint8Array): Promise<PathInfo | undefined> {
    let reply;
    try {
      reply = await this.rpc.unary("get", { byWhat: { case: "byOutputHash", value: digest } });
    } catch (err) {
      if (err instanceof CastoreError && err.code === "not-found") return undefined;
      throw err;
    }
    return checkReply(() => pathInfoFromProto(reply), this.rpc.where);
  }

  async put(info: PathInfo): Promise<PathInfo> {
    const reply = await this.rpc.unary("put", pathInfoToProto(info));
    return checkReply(() => pathInfoFromProto(reply), this.rpc.where);
  }

  async *list(): AsyncIterable<PathInfo> {
    for await (const message of this.rpc.serverStream("list", {})) yield checkReply(() => pathInfoFromProto(message), this.rpc.where);
  }

  /** NAR size and sha256 of a node whose contents the server has (CalculateNAR). */
  async calculateNar(node: Node): Promise<{ narSize: number; narSha256: Uint8Array }> {
    const reply = await this.rpc.unary("calculateNAR", nodeToProto(node));
    if (reply.narSha256.length !== 32 || reply.narSize > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new CastoreError("data-loss", `${this.rpc.where} sent an invalid CalculateNARResponse`);
    }
    return { narSize: Number(reply.narSize), narSha256: reply.narSha256 };
  }

  async close(): Promise<void> {
    this.rpc.close();
  }
}
