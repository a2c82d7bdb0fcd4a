// `tvix.castore.v1.DirectoryService` in front of any DirectoryService. Put streams are checked
// here, message by message, with the same LeavesToRootValidator the backends use: the server is
// where untrusted input arrives, and it must not depend on each backend to refuse it.
import { DirectoryService } from "../../proto/gen/tvix/castore/v1/rpc_directory_pb.js";
import { checkDigest, formatDigest } from "../digest.ts";
import { LeavesToRootValidator } from "../directory-graph.ts";
import type { DirectoryService as Directories } from "../directory-service.ts";
import { CastoreError } from "../errors.ts";
import { directoryFromProto, directoryToProto } from "../proto.ts";
import type { ServiceHandlers } from "./server.ts";

export function directoryServiceHandlers(directories: Directories): ServiceHandlers<typeof DirectoryService> {
  return {
    async *get(request) {
      if (request.byWhat.case !== "digest") throw new CastoreError("invalid-argument", "GetDirectoryRequest: by_what is not set");
      const digest = checkDigest(request.byWhat.value);
      const notFound = new CastoreError("not-found", `directory ${formatDigest(digest)} not found`);
      if (!request.recursive) {
        const directory = await directories.get(digest);
        if (directory === undefined) throw notFound;
        yield directoryToProto(directory);
        return;
      }
      let found = false;
      for await (const directory of directories.getRecursive(digest)) {
        found = true;
        yield directoryToProto(directory);
      }
      if (!found) throw notFound;
    },

    async put(requests) {
      const validator = new LeavesToRootValidator();
      const putter = directories.putMultiple();
      for await (const message of requests) {
        const directory = directoryFromProto(message);
        validator.add(directory);
        await putter.put(directory);
      }
      validator.finish();
      return { rootDigest: await putter.close() };
    },
  };
}
