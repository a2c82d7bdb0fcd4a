// The compressions of binary-cache NAR files, named as narinfo `Compression:` names them, and
// streaming (de)compression of byte streams with backpressure. xz through lzma-native (liblzma),
// zstd and brotli through node:zlib, bzip2 (read only: old caches) through bzip2.ts.
import { createRequire } from "node:module";
import { type Duplex, Readable } from "node:stream";
import { constants as zlib, createBrotliCompress, createBrotliDecompress, createZstdCompress, createZstdDecompress } from "node:zlib";
import { CastoreError } from "../../castore/errors.ts";
import { bunzip2 } from "./bzip2.ts";

interface LzmaNative {
  createCompressor(options: { preset: number; threads: number }): Duplex;
  createDecompressor(): Duplex;
}
const lzma = createRequire(import.meta.url)("lzma-native") as LzmaNative;

export const COMPRESSIONS = ["none", "xz", "zstd", "br", "bzip2"] as const;
export type Compression = (typeof COMPRESSIONS)[number];
/** What `tvix store serve` can compress with (bzip2 is only read). */
export const SERVE_COMPRESSIONS = ["none", "xz", "zstd", "br"] as const;

/** The file name extension Nix gives a NAR compressed this way (BinaryCacheStore::addToStoreCommon). */
const EXTENSIONS: Record<Compression, string> = { none: "", xz: ".xz", zstd: ".zst", br: ".br", bzip2: ".bz2" };

export function isCompression(name: string): name is Compression {
  return (COMPRESSIONS as readonly string[]).includes(name);
}

export function checkCompression(name: string): Compression {
  if (!isCompression(name)) throw new CastoreError("invalid-argument", `unsupported NAR compression '${name}' (supported: ${COMPRESSIONS.join(", ")})`);
  return name;
}

export function narExtension(compression: Compression): string {
  return EXTENSIONS[compression];
}

/** The compression a NAR file name's extension says (`.nar.xz` → xz), undefined if not a NAR name. */
export function compressionOfNarName(name: string): Compression | undefined {
  const match = /\.nar((?:\.[a-z0-9]+)?)$/.exec(name);
  if (!match) return undefined;
  return COMPRESSIONS.find((c) => EXTENSIONS[c] === match[1]);
}

function compressor(compression: Compression): Duplex | undefined {
  switch (compression) {
    case "none":
      return undefined;
    // Serving compresses on the fly: fast presets keep the server from being the bottleneck.
    case "xz":
      return lzma.createCompressor({ preset: 1, threads: 1 });
    case "zstd":
      return createZstdCompress({ params: { [zlib.ZSTD_c_compressionLevel]: 3 } });
    case "br":
      return createBrotliCompress({ params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } });
    case "bzip2":
      throw new CastoreError("invalid-argument", "compressing with bzip2 is not supported (only reading it)");
  }
}

function decompressor(compression: Exclude<Compression, "bzip2">): Duplex | undefined {
  switch (compression) {
    case "none":
      return undefined;
    case "xz":
      return lzma.createDecompressor();
    case "zstd":
      return createZstdDecompress();
    case "br":
      return createBrotliDecompress();
  }
}

/**
 * Runs `source` through `transform` (nothing: passes it on). The source's errors come out as
 * they are, the transform's as `data-loss` naming it; a consumer that stops early stops both.
 */
function through(source: AsyncIterable<Uint8Array>, transform: Duplex | undefined, what: string): AsyncIterable<Uint8Array> {
  if (transform === undefined) return source;
  let sourceError: unknown;
  const watched = (async function* () {
    try {
      yield* source;
    } catch (err) {
      sourceError = err;
      throw err;
    }
  })();
  const input = Readable.from(watched, { objectMode: false });
  input.on("error", (err) => transform.destroy(err));
  input.pipe(transform);
  return (async function* () {
    try {
      for await (const chunk of transform) yield chunk as Uint8Array;
    } catch (err) {
      throw err === sourceError ? err : new CastoreError("data-loss", `${what}: ${(err as Error).message}`, { cause: err });
    } finally {
      input.destroy();
    }
  })();
}

export function compress(compression: Compression, source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  return through(source, compressor(compression), `${compression} compression`);
}

export function decompress(compression: Compression, source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (compression === "bzip2") return bunzip2(source);
  return through(source, decompressor(compression), `corrupt ${compression} data`);
}
