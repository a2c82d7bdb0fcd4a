// An object store: a flat namespace of keys ("a/b/c") naming immutable byte strings, as S3 and
// its kin offer. The object-store blob, directory and path info services are written once over
// this interface; s3.ts and file.ts implement it. A put is atomic: readers see the whole object
// or none.
import { type B3Digest, digestHex } from "../digest.ts";
import { CastoreError } from "../errors.ts";

export interface ObjectStore {
  /**
   * The object's bytes (a plain Uint8Array, not a Buffer: decoded messages keep views of it),
   * undefined if there is none under this key.
   */
  get(key: string): Promise<Uint8Array | undefined>;
  head(key: string): Promise<boolean>;
  /** Stores the object, replacing any under the same key; visible only once complete. */
  put(key: string, data: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  /** The keys under a folder (`prefix` ends in `/`), at any depth, in byte order. */
  list(prefix: string): AsyncIterable<string>;
  close(): Promise<void>;
}

/**
 * Tvix's key for a content-addressed object: `<area>/b3/<first two bytes in hex>/<hex digest>`;
 * the two-byte folder keeps directories small on file systems.
 */
export function digestKey(area: string, digest: B3Digest): string {
  const hex = digestHex(digest);
  return `${area}/b3/${hex.slice(0, 4)}/${hex}`;
}

/** Opens the object store an `objectstore+<kind>://…` URL names. */
export async function openObjectStoreUrl(url: URL): Promise<ObjectStore> {
  const kind = url.protocol.replace(/^objectstore\+/, "").slice(0, -1);
  switch (kind) {
    case "s3":
      return (await import("./s3.ts")).openS3ObjectStore(url);
    case "file":
      return (await import("./file.ts")).openFileObjectStore(url);
    default:
      throw new CastoreError("invalid-argument", `'${url.href}': unknown object store '${kind}'; known: objectstore+s3://BUCKET/PREFIX, objectstore+file:///DIR`);
  }
}
