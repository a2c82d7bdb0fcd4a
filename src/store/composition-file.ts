// A composition file sets the three services of a store apart, for setups one URL cannot say
// (blobs in S3, metadata local, path infos fetched through from a binary cache). It is TOML:
//
//   [blobservices.root]        url = "objectstore+s3://bucket/blobs?endpoint=…"
//   [directoryservices.root]   url = "local:///var/lib/tvix-store"
//   [pathinfoservices.root]    type = "cache", near = "local", far = "nixos"
//   [pathinfoservices.local]   url = "local:///var/lib/tvix-store"
//   [pathinfoservices.nixos]   url = "nix+https://cache.nixos.org?trusted-public-keys=…"
//
// Each section names a service: `url` takes that service from the store the URL opens (each URL
// is opened once and shared), `type = "cache"` puts the service named `near` in front of the
// one named `far`. `root` is the service the store uses. As in Tvix, references are by name
// and cycles are refused.
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";
import { CastoreError } from "../castore/errors.ts";
import { cacheServices } from "./cache/store.ts";
import { type OpenOptions, type Store, openStore } from "./composition.ts";

const SECTIONS = { blobs: "blobservices", directories: "directoryservices", pathInfos: "pathinfoservices" } as const;
type ServiceKind = keyof typeof SECTIONS;

type Entry = { url: string } | { type: "cache"; near: string; far: string };

function invalid(file: string, message: string): CastoreError {
  return new CastoreError("invalid-argument", `store composition '${file}': ${message}`);
}

function readEntries(file: string, text: string): Record<ServiceKind, Map<string, Entry>> {
  let document: Record<string, unknown>;
  try {
    document = parse(text);
  } catch (err) {
    throw invalid(file, (err as Error).message);
  }
  for (const key of Object.keys(document)) {
    if (!Object.values(SECTIONS).includes(key as never)) throw invalid(file, `unknown table '${key}'; expected ${Object.values(SECTIONS).join(", ")}`);
  }
  const result = {} as Record<ServiceKind, Map<string, Entry>>;
  for (const [kind, section] of Object.entries(SECTIONS) as [ServiceKind, string][]) {
    const table = (document[section] ?? {}) as Record<string, Record<string, unknown>>;
    const entries = new Map<string, Entry>();
    for (const [name, entry] of Object.entries(table)) {
      const where = `[${section}.${name}]`;
      if (typeof entry !== "object" || entry === null) throw invalid(file, `${where} is not a table`);
      if (typeof entry.url === "string" && Object.keys(entry).length === 1) entries.set(name, { url: entry.url });
      else if (entry.type === "cache" && typeof entry.near === "string" && typeof entry.far === "string" && Object.keys(entry).length === 3) {
        entries.set(name, { type: "cache", near: entry.near, far: entry.far });
      } else throw invalid(file, `${where} needs either url = "…" or type = "cache" with near and far`);
    }
    if (!entries.has("root")) throw invalid(file, `[${section}.root] is missing`);
    result[kind] = entries;
  }
  return result;
}

/** Opens the store a composition file describes. */
export async function openComposition(file: string, options: OpenOptions = {}): Promise<Store> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw invalid(file, (err as Error).message);
  }
  const entries = readEntries(file, text);
  const stores = new Map<string, Promise<Store>>();
  const storeFor = (url: string): Promise<Store> => {
    let store = stores.get(url);
    if (store === undefined) {
      store = openStore(url, options);
      stores.set(url, store);
    }
    return store;
  };
  const closeAll = async (): Promise<void> => {
    const opened = await Promise.allSettled(stores.values());
    await Promise.all(opened.map((s) => (s.status === "fulfilled" ? s.value.close() : undefined)));
  };
  async function build<K extends ServiceKind>(kind: K, name: string, resolving: string[]): Promise<Store[K]> {
    const entry = entries[kind].get(name);
    if (entry === undefined) throw invalid(file, `[${SECTIONS[kind]}.${resolving.at(-1)}] refers to '${name}', which is not defined`);
    if (resolving.includes(name)) throw invalid(file, `[${SECTIONS[kind]}.${name}] refers to itself through ${[...resolving, name].join(" → ")}`);
    if ("url" in entry) return (await storeFor(entry.url))[kind];
    const [near, far] = [await build(kind, entry.near, [...resolving, name]), await build(kind, entry.far, [...resolving, name])];
    return cacheServices[kind](near, far);
  }
  try {
    const [blobs, directories, pathInfos] = [await build("blobs", "root", []), await build("directories", "root", []), await build("pathInfos", "root", [])];
    return { blobs, directories, pathInfos, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
