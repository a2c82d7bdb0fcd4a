// Writes what an evaluation recorded in its PendingStore into a real store, with the store
// paths and PathInfos Nix gives them: toFile texts and `.drv` files are text paths
// (`text:sha256:…`, referring to their inputs), sources and fetched trees fixed-output paths
// (`fixed:[r:]sha256:…`, no references). A local file that changed since the evaluation hashed
// it would land at another path: that is an error (addLocalPath's), and nothing is stored for it.
import { realpathSync } from "node:fs";
import { putBlob } from "../castore/blob-service.ts";
import { bytesToUtf8, decodeBytes, encodeBytes } from "../nix-compat/byte-string.ts";
import { printAterm } from "../nix-compat/derivation/aterm-print.ts";
import { hashBytes } from "../nix-compat/hash.ts";
import { DEFAULT_STORE_DIR, StorePath, makeTextPath, parseStorePath } from "../nix-compat/store-path.ts";
import { addLocalPath } from "../store/add-path.ts";
import type { Store } from "../store/composition.ts";
import { calculateNar } from "../store/nar/render.ts";
import type { PathInfo } from "../store/path-info.ts";
import type { PendingPath, PendingStore } from "./pending-store.ts";

export class WritePendingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WritePendingError";
  }
}

/** Writes every path of `pending`, in its order (inputs first); returns their PathInfos. */
export async function writePendingStore(store: Store, pending: PendingStore): Promise<PathInfo[]> {
  const infos: PathInfo[] = [];
  for (const [storePath, entry] of pending.entries()) infos.push(await writePendingPath(store, storePath, entry, pending.storeDir));
  return infos;
}

/** Writes one recorded path (unless the store has it already); returns its PathInfo. */
export async function writePendingPath(store: Store, storePath: string, entry: PendingPath, storeDir: string = DEFAULT_STORE_DIR): Promise<PathInfo> {
  const path = parseStorePath(storePath, storeDir);
  const existing = await store.pathInfos.get(path.digest);
  if (existing !== undefined) return existing;
  switch (entry.kind) {
    case "text":
      return putText(store, path, encodeBytes(entry.contents), entry.references, storeDir);
    case "derivation": {
      const references = [...entry.drv.inputSrcs, ...entry.drv.inputDrvs.keys()];
      return putText(store, path, printAterm(entry.drv), references, storeDir);
    }
    case "local": {
      const excluded = new Set(entry.excluded);
      // Local paths are byte strings; the file system functions take UTF-8. Flat ingestion
      // follows symlinks, as Nix's (and EvalStore's hash) does.
      const localPath = bytesToUtf8(entry.method === "flat" ? decodeBytes(realpathSync(encodeBytes(entry.localPath), { encoding: "buffer" })) : entry.localPath);
      // Refused (nothing stored) if the file changed since evaluation hashed it.
      return addLocalPath(store, localPath, {
        name: entry.name,
        method: entry.method,
        storeDir,
        filter: excluded.size > 0 ? (relative) => !excluded.has(relative) : undefined,
        expect: path,
      });
    }
  }
}

/** A text path: one regular file, its content address `text:sha256:…`. */
async function putText(store: Store, path: StorePath, contents: Uint8Array, references: readonly string[], storeDir: string): Promise<PathInfo> {
  const refs = [...new Set(references)].sort();
  const hash = hashBytes("sha256", contents);
  const expected = makeTextPath(path.name, hash, refs, storeDir);
  if (!expected.equals(path)) throw new WritePendingError(`text '${path.toAbsolute(storeDir)}' does not have the contents its path says (it would be '${expected.toAbsolute(storeDir)}')`);
  const digest = await putBlob(store.blobs, contents);
  const node = { kind: "file" as const, name: "", digest, size: contents.length, executable: false };
  const { narSize, narSha256 } = await calculateNar(node, store.blobs, store.directories);
  return store.pathInfos.put({
    storePath: path,
    node,
    references: refs.map((ref) => parseStorePath(ref, storeDir)),
    narSize,
    narSha256,
    signatures: [],
    ca: { method: "text", hash },
  });
}
