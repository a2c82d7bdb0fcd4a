// `memory://` path infos: a map from the store path digest to PathInfo.
import type { PathInfo } from "../path-info.ts";
import type { PathInfoService } from "../path-info-service.ts";

export class MemoryPathInfoService implements PathInfoService {
  private readonly infos = new Map<string, PathInfo>();

  async get(digest: Uint8Array): Promise<PathInfo | undefined> {
    return this.infos.get(Buffer.from(digest).toString("hex"));
  }

  async put(info: PathInfo): Promise<PathInfo> {
    this.infos.set(Buffer.from(info.storePath.digest).toString("hex"), info);
    return info;
  }

  async *list(): AsyncIterable<PathInfo> {
    yield* this.infos.values();
  }

  async close(): Promise<void> {}
}
