// `memory://`: a store that lives as long as the process.
import { MemoryBlobService } from "../../castore/memory/blob-service.ts";
import { MemoryDirectoryService } from "../../castore/memory/directory-service.ts";
import { CastoreError } from "../../castore/errors.ts";
import { type Store, storeOf } from "../composition.ts";
import { MemoryPathInfoService } from "./path-info-service.ts";

export async function openMemoryStore(url: URL): Promise<Store> {
  if (url.host !== "" || (url.pathname !== "" && url.pathname !== "/")) {
    throw new CastoreError("invalid-argument", `'${url.href}': a memory:// store takes no host or path`);
  }
  return storeOf(new MemoryBlobService(), new MemoryDirectoryService(), new MemoryPathInfoService());
}
