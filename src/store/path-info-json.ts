// `nix path-info --json` as Nix 2.8 prints it (Store::pathInfoToJSON with SRI hashes): a list,
// sorted by store path, of objects whose members come in Nix's order: path, narHash, narSize,
// references, ca, closureSize, deriver, signatures. Nix's local store adds registrationTime
// and ultimate, which a tvix store does not keep. A path the store does not have is
// `{"path":…,"valid":false}`.
import { formatContentAddress } from "../nix-compat/content-address.ts";
import { type NixJson, formatNixJson } from "../nix-compat/nix-json.ts";
import { DEFAULT_STORE_DIR, type StorePath } from "../nix-compat/store-path.ts";
import type { PathInfo } from "./path-info.ts";

export interface PathInfoJsonEntry {
  storePath: StorePath;
  /** Undefined when the store does not have the path. */
  info: PathInfo | undefined;
  /** Sum of the NAR sizes of the path's closure (`--closure-size`). */
  closureSize?: number;
}

export function pathInfoJson(entry: PathInfoJsonEntry, storeDir: string = DEFAULT_STORE_DIR): NixJson {
  const json = new Map<string, NixJson>([["path", entry.storePath.toAbsolute(storeDir)]]);
  const info = entry.info;
  if (info === undefined) {
    json.set("valid", false);
    return json;
  }
  json.set("narHash", `sha256-${Buffer.from(info.narSha256).toString("base64")}`);
  json.set("narSize", info.narSize);
  json.set("references", sortedPaths(info.references).map((r) => r.toAbsolute(storeDir)));
  if (info.ca) json.set("ca", formatContentAddress(info.ca));
  if (entry.closureSize !== undefined) json.set("closureSize", entry.closureSize);
  if (info.deriver) json.set("deriver", info.deriver.toAbsolute(storeDir));
  if (info.signatures.length > 0) json.set("signatures", info.signatures.map((s) => s.toString()));
  return json;
}

/** The whole output (without a final newline, as Nix prints it), entries sorted by path. */
export function formatPathInfosJson(entries: readonly PathInfoJsonEntry[], storeDir: string = DEFAULT_STORE_DIR): string {
  const sorted = [...entries].sort((a, b) => compareStorePaths(a.storePath, b.storePath));
  return formatNixJson(sorted.map((entry) => pathInfoJson(entry, storeDir)));
}

/** Nix orders store paths (its StorePathSet) by base name. */
export function compareStorePaths(a: StorePath, b: StorePath): number {
  const [x, y] = [a.baseName, b.baseName];
  return x < y ? -1 : x > y ? 1 : 0;
}

export function sortedPaths(paths: readonly StorePath[]): StorePath[] {
  return [...paths].sort(compareStorePaths);
}

/**
 * The order plain `nix path-info` prints paths in (StorePathsCommand): depth first through the
 * paths in sorted order, each after the references it has among them.
 */
export function nixPrintOrder<T extends { storePath: StorePath; info: PathInfo | undefined }>(entries: readonly T[]): T[] {
  const byName = new Map(entries.map((entry) => [entry.storePath.baseName, entry]));
  const ordered: T[] = [];
  const visited = new Set<string>();
  const visit = (entry: T): void => {
    const name = entry.storePath.baseName;
    if (visited.has(name)) return;
    visited.add(name);
    for (const reference of sortedPaths(entry.info?.references ?? [])) {
      const referenced = byName.get(reference.baseName);
      if (referenced) visit(referenced);
    }
    ordered.push(entry);
  };
  for (const entry of [...entries].sort((a, b) => compareStorePaths(a.storePath, b.storePath))) visit(entry);
  return ordered;
}
