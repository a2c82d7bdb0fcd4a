// `grpc+unix:///SOCKET`, `grpc+http://HOST:PORT`, `grpc+https://HOST`: a store served by a
// `tvix store daemon` (or Tvix's own), its three services over one connection.
import { connectGrpc } from "../../castore/grpc/channel.ts";
import { GrpcBlobService } from "../../castore/grpc/blob-client.ts";
import { GrpcDirectoryService } from "../../castore/grpc/directory-client.ts";
import { type Store, storeOf } from "../composition.ts";
import { GrpcPathInfoService } from "./path-info-client.ts";

export async function openGrpcStore(url: URL): Promise<Store> {
  const client = await connectGrpc(url);
  const where = `the store at ${url.href}`;
  return storeOf(new GrpcBlobService(client, where), new GrpcDirectoryService(client, where), new GrpcPathInfoService(client, where));
}
