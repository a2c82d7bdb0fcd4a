// Local path infos: one LMDB database (in the store's shared environment) mapping the 20-byte
// store path digest to the `tvix.store.v1.PathInfo` protobuf encoding, the same bytes Tvix sends.
//
// Crash safety rests on order: blobs are durable before the directories that list them, and
// directories before the PathInfo that points at them; a PathInfo is written only when its
// contents are in the store. So a crash at any point leaves at worst unreferenced blobs and
// directories, never a visible path with missing parts. `put` enforces the last step: it checks
// the root node's directory or blob is present, makes the blobs' directory entries durable,
// and resolves only once the PathInfo itself is on disk.
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Database, RootDatabase } from "lmdb";
import type { LocalBlobService } from "../../castore/local/blob-service.ts";
import { durableTransaction, lmdbCall, plainBytes } from "../../castore/local/directory-service.ts";
import type { DirectoryService } from "../../castore/directory-service.ts";
import { formatDigest } from "../../castore/digest.ts";
import { CastoreError } from "../../castore/errors.ts";
import { PathInfoSchema } from "../../proto/gen/tvix/store/v1/pathinfo_pb.js";
import { type PathInfo, pathInfoFromProto, pathInfoToProto } from "../path-info.ts";
import type { PathInfoService } from "../path-info-service.ts";

const STORE_PATH_DIGEST_LENGTH = 20;

/** The castore services a PathInfo's contents must be in. */
export interface LocalContents {
  blobs: LocalBlobService;
  directories: DirectoryService;
}

function checkStorePathDigest(digest: Uint8Array): void {
  if (digest.length !== STORE_PATH_DIGEST_LENGTH) {
    throw new CastoreError("invalid-argument", `invalid store path digest: it has ${STORE_PATH_DIGEST_LENGTH} bytes, not ${digest.length}`);
  }
}

function decodeStored(key: Uint8Array, bytes: Uint8Array): PathInfo {
  try {
    return pathInfoFromProto(fromBinary(PathInfoSchema, plainBytes(bytes)));
  } catch (err) {
    throw new CastoreError("data-loss", `stored PathInfo ${Buffer.from(key).toString("hex")} is corrupt: ${(err as Error).message}`, { cause: err });
  }
}

export class LocalPathInfoService implements PathInfoService {
  private readonly env: RootDatabase;
  private readonly db: Database<Uint8Array, Uint8Array>;
  private readonly contents: LocalContents;

  constructor(env: RootDatabase, contents: LocalContents) {
    this.env = env;
    this.contents = contents;
    this.db = env.openDB<Uint8Array, Uint8Array>({ name: "pathinfos", keyEncoding: "binary", encoding: "binary" });
  }

  async get(digest: Uint8Array): Promise<PathInfo | undefined> {
    checkStorePathDigest(digest);
    const bytes = await lmdbCall("cannot read PathInfo", () => this.db.getBinary(digest));
    return bytes === undefined ? undefined : decodeStored(digest, bytes);
  }

  async put(info: PathInfo): Promise<PathInfo> {
    const bytes = toBinary(PathInfoSchema, pathInfoToProto(info));
    await this.checkContentsPresent(info);
    await this.contents.blobs.sync();
    await durableTransaction(this.env, "cannot store PathInfo", () => {
      this.db.put(info.storePath.digest, bytes);
    });
    return info;
  }

  private async checkContentsPresent({ node, storePath }: PathInfo): Promise<void> {
    if (node.kind === "symlink") return;
    const present = node.kind === "directory" ? (await this.contents.directories.get(node.digest)) !== undefined : await this.contents.blobs.has(node.digest);
    if (!present) {
      const what = node.kind === "directory" ? "directory" : "blob";
      throw new CastoreError("invalid-argument", `cannot add ${storePath.baseName}: its root ${what} ${formatDigest(node.digest)} is not in the store`);
    }
  }

  async *list(): AsyncIterable<PathInfo> {
    // No snapshot: a slow consumer must not pin an old version of the database (LMDB cannot
    // reuse pages a reader still sees); the iteration continues from the last key instead.
    for (const { key, value } of this.db.getRange({ snapshot: false })) yield decodeStored(key, value);
  }

  /** The environment belongs to whoever opened it. */
  async close(): Promise<void> {}
}
