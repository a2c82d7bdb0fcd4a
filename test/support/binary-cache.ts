// Helpers for binary cache tests: store paths made from NAR bytes, and binary cache entries
// (narinfo + compressed NAR file) written as Nix writes them, to be tampered with.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hashBytes } from "../../src/nix-compat/hash.ts";
import { type NarInfo, fingerprint, formatNarInfo } from "../../src/nix-compat/narinfo.ts";
import type { SecretKey } from "../../src/nix-compat/signing.ts";
import { StorePath } from "../../src/nix-compat/store-path.ts";
import { type Compression, compress, decompress, narExtension } from "../../src/store/binary-cache/compression.ts";
import type { Store } from "../../src/store/composition.ts";
import { ingestNar } from "../../src/store/nar/ingest.ts";
import type { PathInfo } from "../../src/store/path-info.ts";

export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

/** `data` in chunks of `size` bytes. */
export async function* chunks(data: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

export async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/** A store path named `name` whose hash part is derived from `nar` (as a test needs no more). */
export function storePathFor(nar: Uint8Array, name: string): StorePath {
  return new StorePath(hashBytes("sha1", Buffer.concat([nar, Buffer.from(name)])).digest, name);
}

/** Puts `nar` into `store` as the path `name`. */
export async function addNarPath(store: Store, nar: Buffer, name: string, references: StorePath[] = []): Promise<PathInfo> {
  const { node, narSize, narSha256 } = await ingestNar(once(nar), store.blobs, store.directories);
  return store.pathInfos.put({ storePath: storePathFor(nar, name), node, references, narSize, narSha256, signatures: [] });
}

export interface CacheEntry {
  narinfo: NarInfo;
  /** The NAR file as written. */
  file: Buffer;
}

/** The narinfo and NAR file Nix would write for `nar` as `storePath`, signed with `key` if given. */
export async function cacheEntry(
  storePath: StorePath,
  nar: Buffer,
  options: { compression?: Compression; references?: StorePath[]; key?: SecretKey } = {},
): Promise<CacheEntry> {
  const compression = options.compression ?? "xz";
  const file = await collect(compress(compression, once(nar)));
  const fileHash = hashBytes("sha256", file);
  const narinfo: NarInfo = {
    storePath,
    url: `nar/${fileHash.encode("nix32")}.nar${narExtension(compression)}`,
    compression,
    fileHash,
    fileSize: file.length,
    narHash: hashBytes("sha256", nar),
    narSize: nar.length,
    references: options.references ?? [],
    signatures: [],
  };
  if (options.key) narinfo.signatures.push(options.key.sign(fingerprint(narinfo)));
  return { narinfo, file };
}

/** Writes an entry into a file:// cache directory (with nix-cache-info). */
export function writeCacheEntry(dir: string, entry: CacheEntry, narinfoText: string = formatNarInfo(entry.narinfo)): void {
  mkdirSync(join(dir, "nar"), { recursive: true });
  writeFileSync(join(dir, "nix-cache-info"), "StoreDir: /nix/store\n");
  writeFileSync(join(dir, entry.narinfo.url), entry.file);
  writeFileSync(join(dir, `${entry.narinfo.storePath.hashPart}.narinfo`), narinfoText, "latin1");
}

export interface Download {
  /** Bytes received (compressed, as sent). */
  bytes: number;
  seconds: number;
  /** sha256 (hex) of the body after decompressing it as `compression` says. */
  sha256: string;
}

/**
 * Downloads `url` with curl (an independent client in its own process), decompressing and
 * hashing as it arrives: the benchmark of NAR serving, and its check.
 */
export async function download(url: string, compression: Compression = "none"): Promise<Download> {
  const started = performance.now();
  const curl = spawn("curl", ["--silent", "--show-error", "--fail", url], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => curl.on("close", resolve));
  let stderr = "";
  curl.stderr.on("data", (part: Buffer) => (stderr += part.toString()));
  let bytes = 0;
  async function* counted(): AsyncIterable<Uint8Array> {
    for await (const chunk of curl.stdout as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      yield chunk;
    }
  }
  const hasher = createHash("sha256");
  for await (const chunk of decompress(compression, counted())) hasher.update(chunk);
  const status = await exited;
  if (status !== 0) throw new Error(`curl ${url} failed (${status}): ${stderr}`);
  return { bytes, seconds: (performance.now() - started) / 1000, sha256: hasher.digest("hex") };
}
