// `objectstore+s3://BUCKET/PREFIX?endpoint=…` and `objectstore+file:///DIR`: a whole store in
// one object store, Tvix's layout for blobs (`blobs/`, `chunks/`) and directories (`dirs/`),
// plus `pathinfos/` for path infos. The three services share one connection.
import { ObjectStoreBlobService } from "../../castore/objectstore/blob-service.ts";
import { ObjectStoreDirectoryService } from "../../castore/objectstore/directory-service.ts";
import { openObjectStoreUrl } from "../../castore/objectstore/object-store.ts";
import { type Store, storeOf } from "../composition.ts";
import { ObjectStorePathInfoService } from "./path-info-service.ts";

export async function openObjectStore(url: URL): Promise<Store> {
  const objects = await openObjectStoreUrl(url);
  const blobs = new ObjectStoreBlobService(objects);
  const directories = new ObjectStoreDirectoryService(objects);
  const services = storeOf(blobs, directories, new ObjectStorePathInfoService(objects, { blobs, directories }));
  let closed: Promise<void> | undefined;
  return {
    ...services,
    close: () =>
      (closed ??= (async () => {
        await services.close();
        await objects.close();
      })()),
  };
}
