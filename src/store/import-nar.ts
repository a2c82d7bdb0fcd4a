// Adding a store path from a NAR stream: content-addressed by the NAR's sha256 under a name
// (the path `nix-store --add` gives the unpacked tree), or at a given input-addressed path with
// its references and deriver (as `nix-store --import` registers one). The references must be in
// the store first, so the store stays closed under references; a malformed or truncated NAR is
// refused by the reader and leaves no PathInfo (and no directory) behind.
import { CastoreError } from "../castore/errors.ts";
import { Hash } from "../nix-compat/hash.ts";
import { DEFAULT_STORE_DIR, type StorePath, makeFixedOutputPath, validateName } from "../nix-compat/store-path.ts";
import type { Store } from "./composition.ts";
import { ingestNar } from "./nar/ingest.ts";
import type { PathInfo } from "./path-info.ts";

export type ImportTarget =
  /** Content-addressed (`fixed:r:sha256`), named `name`. */
  | { name: string; references?: StorePath[] }
  /** Input-addressed at `storePath`. */
  | { storePath: StorePath; references?: StorePath[]; deriver?: StorePath };

export async function importNar(store: Store, nar: AsyncIterable<Uint8Array>, target: ImportTarget, storeDir: string = DEFAULT_STORE_DIR): Promise<PathInfo> {
  const references = target.references ?? [];
  // Everything that can be refused is refused before the NAR is read.
  if ("name" in target) validateName(target.name);
  for (const reference of references) {
    if ((await store.pathInfos.get(reference.digest)) === undefined) {
      throw new CastoreError("not-found", `cannot import: its reference '${reference.toAbsolute(storeDir)}' is not in the store`);
    }
  }
  const { node, narSize, narSha256 } = await ingestNar(nar, store.blobs, store.directories);
  const fields = { node, references, narSize, narSha256, signatures: [] };
  if ("storePath" in target) return store.pathInfos.put({ ...fields, storePath: target.storePath, deriver: target.deriver });
  const hash = new Hash("sha256", narSha256);
  const storePath = makeFixedOutputPath(target.name, "recursive", hash, { references: references.map((r) => r.toAbsolute(storeDir)), storeDir });
  return (await store.pathInfos.get(storePath.digest)) ?? store.pathInfos.put({ ...fields, storePath, ca: { method: "recursive", hash } });
}
