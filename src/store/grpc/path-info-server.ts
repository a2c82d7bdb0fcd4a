// `tvix.store.v1.PathInfoService` in front of a Store. A PathInfo is validated as Tvix does
// (path-info.ts) and accepted only when the contents its root node names are in the store, so a
// client cannot make a path visible before its contents. CalculateNAR renders the NAR from the
// castore once per node; the results are kept, since Nix asks for them again and again.
import type { BlobService } from "../../castore/blob-service.ts";
import { digestHex, formatDigest } from "../../castore/digest.ts";
import type { DirectoryService } from "../../castore/directory-service.ts";
import { CastoreError } from "../../castore/errors.ts";
import { StatusError } from "../../castore/grpc/status.ts";
import type { ServiceHandlers } from "../../castore/grpc/server.ts";
import type { Node } from "../../castore/node.ts";
import { nodeFromProto } from "../../castore/proto.ts";
import { status } from "@grpc/grpc-js";
import { PathInfoService } from "../../proto/gen/tvix/store/v1/rpc_pathinfo_pb.js";
import type { Store } from "../composition.ts";
import { calculateNar } from "../nar/render.ts";
import { pathInfoFromProto, pathInfoToProto } from "../path-info.ts";

/** How many CalculateNAR results are kept (oldest dropped first). */
const NAR_CACHE_ENTRIES = 100_000;

type NarSummary = { narSize: number; narSha256: Uint8Array };

/** CalculateNAR results by what the NAR depends on (a node's name is not part of its NAR). */
class NarCalculator {
  private readonly results = new Map<string, Promise<NarSummary>>();
  private readonly blobs: BlobService;
  private readonly directories: DirectoryService;

  constructor(blobs: BlobService, directories: DirectoryService) {
    this.blobs = blobs;
    this.directories = directories;
  }

  calculate(node: Node): Promise<NarSummary> {
    if (node.kind === "symlink") return calculateNar(node, this.blobs, this.directories);
    const key = `${node.kind === "file" && node.executable ? "x" : node.kind[0]}${digestHex(node.digest)}`;
    let result = this.results.get(key);
    if (result === undefined) {
      result = calculateNar(node, this.blobs, this.directories);
      this.results.set(key, result);
      // A failure (missing contents) is not kept: the contents may arrive later.
      result.catch(() => this.results.delete(key));
      if (this.results.size > NAR_CACHE_ENTRIES) this.results.delete(this.results.keys().next().value!);
    }
    return result;
  }
}

async function checkContentsPresent(store: Store, node: Node, what: string): Promise<void> {
  if (node.kind === "symlink") return;
  const present = node.kind === "directory" ? (await store.directories.get(node.digest)) !== undefined : await store.blobs.has(node.digest);
  if (!present) {
    throw new StatusError(status.FAILED_PRECONDITION, `${what}: its root ${node.kind === "directory" ? "directory" : "blob"} ${formatDigest(node.digest)} is not in the store; upload the contents first`);
  }
}

export function pathInfoServiceHandlers(store: Store): ServiceHandlers<typeof PathInfoService> {
  const nar = new NarCalculator(store.blobs, store.directories);
  return {
    async get(request) {
      if (request.byWhat.case !== "byOutputHash") throw new CastoreError("invalid-argument", "GetPathInfoRequest: by_what is not set");
      const digest = request.byWhat.value;
      if (digest.length !== 20) throw new CastoreError("invalid-argument", `invalid output hash: a store path digest has 20 bytes, not ${digest.length}`);
      const info = await store.pathInfos.get(digest);
      if (info === undefined) throw new CastoreError("not-found", `no path info for output hash ${Buffer.from(digest).toString("hex")}`);
      return pathInfoToProto(info);
    },

    async put(message) {
      const info = pathInfoFromProto(message);
      await checkContentsPresent(store, info.node, `cannot add ${info.storePath.baseName}`);
      return pathInfoToProto(await store.pathInfos.put(info));
    },

    async calculateNAR(message) {
      const node = nodeFromProto(message, { anonymous: true });
      await checkContentsPresent(store, node, "cannot calculate the NAR");
      const { narSize, narSha256 } = await nar.calculate(node);
      return { narSize: BigInt(narSize), narSha256 };
    },

    async *list() {
      for await (const info of store.pathInfos.list()) yield pathInfoToProto(info);
    },
  };
}
