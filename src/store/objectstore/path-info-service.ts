// Path infos in an object store (Tvix has none; this is our layout): one object per store path
// at `pathinfos/<hex of the 20-byte store path digest>`, holding the `tvix.store.v1.PathInfo`
// protobuf encoding, the same bytes Tvix sends over gRPC. `list` lists that folder.
//
// A PathInfo is written only once its contents are stored (the root blob, or the directory tree
// under its root), and an object store shows an object only when complete, so a writer that
// dies at any point leaves at worst unreferenced chunks and trees, never a path with parts
// missing.
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { BlobService } from "../../castore/blob-service.ts";
import { formatDigest } from "../../castore/digest.ts";
import { CastoreError } from "../../castore/errors.ts";
import type { ObjectStoreDirectoryService } from "../../castore/objectstore/directory-service.ts";
import type { ObjectStore } from "../../castore/objectstore/object-store.ts";
import { PathInfoSchema } from "../../proto/gen/tvix/store/v1/pathinfo_pb.js";
import { type PathInfo, pathInfoFromProto, pathInfoToProto } from "../path-info.ts";
import type { PathInfoService } from "../path-info-service.ts";

const FOLDER = "pathinfos/";
const KEY = /^pathinfos\/([0-9a-f]{40})$/;
/** Path infos fetched ahead of the consumer of `list`. */
const LIST_AHEAD = 16;

/** The castore services a PathInfo's contents must be in. */
export interface ObjectStoreContents {
  blobs: BlobService;
  directories: ObjectStoreDirectoryService;
}

function keyOf(digest: Uint8Array): string {
  if (digest.length !== 20) throw new CastoreError("invalid-argument", `invalid store path digest: it has 20 bytes, not ${digest.length}`);
  return FOLDER + Buffer.from(digest).toString("hex");
}

export class ObjectStorePathInfoService implements PathInfoService {
  private readonly objects: ObjectStore;
  private readonly contents: ObjectStoreContents;

  /** The object store is shared and owned by the caller, who closes it. */
  constructor(objects: ObjectStore, contents: ObjectStoreContents) {
    this.objects = objects;
    this.contents = contents;
  }

  async get(digest: Uint8Array): Promise<PathInfo | undefined> {
    return this.load(keyOf(digest));
  }

  private async load(key: string): Promise<PathInfo | undefined> {
    const bytes = await this.objects.get(key);
    if (bytes === undefined) return undefined;
    let info: PathInfo;
    try {
      info = pathInfoFromProto(fromBinary(PathInfoSchema, bytes));
    } catch (err) {
      throw new CastoreError("data-loss", `stored PathInfo ${key} is corrupt: ${(err as Error).message}`, { cause: err });
    }
    if (keyOf(info.storePath.digest) !== key) throw new CastoreError("data-loss", `stored PathInfo ${key} is that of ${info.storePath.baseName}`);
    return info;
  }

  async put(info: PathInfo): Promise<PathInfo> {
    const bytes = toBinary(PathInfoSchema, pathInfoToProto(info));
    await this.checkContentsPresent(info);
    await this.objects.put(keyOf(info.storePath.digest), bytes);
    return info;
  }

  private async checkContentsPresent({ node, storePath }: PathInfo): Promise<void> {
    if (node.kind === "symlink") return;
    const present = node.kind === "directory" ? await this.contents.directories.has(node.digest) : await this.contents.blobs.has(node.digest);
    if (!present) {
      const what = node.kind === "directory" ? "directory tree" : "blob";
      throw new CastoreError("invalid-argument", `cannot add ${storePath.baseName}: its root ${what} ${formatDigest(node.digest)} is not in the store`);
    }
  }

  async *list(): AsyncIterable<PathInfo> {
    // Fetched a few ahead, yielded in key order; one deleted since the listing is skipped.
    const pending: Promise<PathInfo | undefined>[] = [];
    const keys = this.objects.list(FOLDER)[Symbol.asyncIterator]();
    for (let done = false; !done || pending.length > 0; ) {
      while (!done && pending.length < LIST_AHEAD) {
        const next = await keys.next();
        done = next.done === true;
        if (done || !KEY.test(next.value)) continue;
        const loading = this.load(next.value);
        // Awaited in order below; this only keeps a failure after the consumer stops from going unhandled.
        loading.catch(() => {});
        pending.push(loading);
      }
      const info = await pending.shift();
      if (info !== undefined) yield info;
    }
  }

  async close(): Promise<void> {}
}
