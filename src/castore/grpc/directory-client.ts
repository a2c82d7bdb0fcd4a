// A DirectoryService on a remote `tvix.castore.v1.DirectoryService`. Received directories are
// validated (and their order checked with RootToLeavesValidator); trees being put are checked
// here too, so a directory out of order is refused at once, as a local backend refuses it.
import type * as grpc from "@grpc/grpc-js";
import { DirectoryService } from "../../proto/gen/tvix/castore/v1/rpc_directory_pb.js";
import { type B3Digest, digestEquals, formatDigest } from "../digest.ts";
import type { Directory } from "../directory.ts";
import { LeavesToRootValidator, RootToLeavesValidator } from "../directory-graph.ts";
import type { DirectoryPutter, DirectoryService as Directories } from "../directory-service.ts";
import { CastoreError } from "../errors.ts";
import { directoryFromProto, directoryToProto } from "../proto.ts";
import { ServiceClient } from "./client.ts";
import { checkReply } from "./status.ts";

export class GrpcDirectoryService implements Directories {
  private readonly rpc: ServiceClient<typeof DirectoryService>;

  constructor(client: grpc.Client, where: string) {
    this.rpc = new ServiceClient(DirectoryService, client, where);
  }

  /** The directories Get streams, validated, in the order received; nothing if absent. */
  private async *fetch(digest: B3Digest, recursive: boolean): AsyncIterable<Directory> {
    let received = false;
    try {
      for await (const message of this.rpc.serverStream("get", { byWhat: { case: "digest", value: digest }, recursive })) {
        received = true;
        yield checkReply(() => directoryFromProto(message), this.rpc.where);
      }
    } catch (err) {
      if (!received && err instanceof CastoreError && err.code === "not-found") return;
      throw err;
    }
  }

  async get(digest: B3Digest): Promise<Directory | undefined> {
    for await (const directory of this.fetch(digest, false)) {
      if (!digestEquals(directory.digest(), digest)) {
        throw new CastoreError("data-loss", `${this.rpc.where} sent directory ${formatDigest(directory.digest())} when asked for ${formatDigest(digest)}`);
      }
      return directory;
    }
    return undefined;
  }

  async *getRecursive(root: B3Digest): AsyncIterable<Directory> {
    const validator = new RootToLeavesValidator(root);
    let received = false;
    for await (const directory of this.fetch(root, true)) {
      validator.add(directory);
      received = true;
      yield directory;
    }
    if (received) validator.finish();
  }

  putMultiple(): DirectoryPutter {
    const stream = this.rpc.requestStream("put");
    const validator = new LeavesToRootValidator();
    // Any failure ends the call, so the server keeps nothing of it.
    const orCancel = async <T>(step: () => Promise<T>): Promise<T> => {
      try {
        return await step();
      } catch (err) {
        stream.cancel();
        throw err;
      }
    };
    return {
      put: (directory) =>
        orCancel(async () => {
          validator.add(directory);
          await stream.write(directoryToProto(directory));
        }),
      close: () =>
        orCancel(async () => {
          const { root } = validator.finish();
          const reply = await stream.finish();
          if (!digestEquals(reply.rootDigest, root.digest())) {
            throw new CastoreError("data-loss", `${this.rpc.where} stored the tree as ${formatDigest(reply.rootDigest)}, but its root is ${formatDigest(root.digest())}`);
          }
          return root.digest();
        }),
    };
  }

  async close(): Promise<void> {
    this.rpc.close();
  }
}
