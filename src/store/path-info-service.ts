// PathInfoService: the store's index from Nix store paths to PathInfo, looked up by the
// 20-byte digest of the store path (its hash part).
import type { PathInfo } from "./path-info.ts";

export interface PathInfoService {
  /** The PathInfo of the store path with this 20-byte digest, undefined if absent. */
  get(digest: Uint8Array): Promise<PathInfo | undefined>;
  /**
   * Stores a PathInfo whose contents are already in the castore services; resolves once it is
   * persisted, with the PathInfo as stored (a signing backend adds signatures).
   */
  put(info: PathInfo): Promise<PathInfo>;
  list(): AsyncIterable<PathInfo>;
  close(): Promise<void>;
}
