// Taking in one NAR file of a binary cache, as its narinfo describes it: decompress, ingest
// into castore, and check the file's and the NAR's hash and size on the way. Used for what
// `nix copy --to` uploads to `tvix store serve` and for what a cache read source downloads.
// The result is a PathInfo the caller may put; nothing is put here, so a NAR that does not
// match its narinfo leaves no store path behind.
import type { BlobService } from "../../castore/blob-service.ts";
import type { DirectoryService } from "../../castore/directory-service.ts";
import { CastoreError } from "../../castore/errors.ts";
import { Hash, Hasher } from "../../nix-compat/hash.ts";
import type { NarInfo } from "../../nix-compat/narinfo.ts";
import { NixCompatError } from "../../nix-compat/errors.ts";
import { ingestNar } from "../nar/ingest.ts";
import type { PathInfo } from "../path-info.ts";
import { checkCompression, decompress } from "./compression.ts";
import { pathInfoOfNarInfo } from "./narinfo.ts";

/** Counts and hashes (sha256) the bytes of a NAR file as they pass. */
class Meter {
  size = 0;
  private readonly hasher = new Hasher("sha256");

  async *pass(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    for await (const chunk of source) {
      this.size += chunk.length;
      this.hasher.update(chunk);
      yield chunk;
    }
  }

  hash(): Hash {
    return this.hasher.finish();
  }
}

function mismatch(what: string, field: string, expected: string, actual: string): CastoreError {
  return new CastoreError("data-loss", `${what}: ${field} mismatch: the narinfo says ${expected}, the NAR file gives ${actual}`);
}

function checkSize(what: string, field: string, expected: number | undefined, actual: number): void {
  if (expected !== undefined && expected !== actual) throw mismatch(what, field, String(expected), String(actual));
}

function checkHash(what: string, field: string, expected: Hash | undefined, actual: Hash): void {
  if (expected !== undefined && !expected.equals(actual)) throw mismatch(what, field, expected.format("nix32"), actual.format("nix32"));
}

/**
 * Ingests the NAR file `file` of `narinfo` into `blobs` and `directories` and returns the
 * PathInfo, after checking FileSize/FileHash (when given) and NarSize/NarHash. `what` names the
 * file in errors. Failures are CastoreErrors: `invalid-argument` for an unknown compression,
 * `data-loss` for anything that does not match.
 */
export async function ingestNarFile(narinfo: NarInfo, file: AsyncIterable<Uint8Array>, blobs: BlobService, directories: DirectoryService, what: string): Promise<PathInfo> {
  const compression = checkCompression(narinfo.compression);
  const fileMeter = new Meter();
  let ingested;
  try {
    ingested = await ingestNar(decompress(compression, fileMeter.pass(file)), blobs, directories);
  } catch (err) {
    if (err instanceof NixCompatError) throw new CastoreError("data-loss", `${what}: ${err.message}`, { cause: err });
    if (err instanceof CastoreError && err.code === "data-loss") throw new CastoreError("data-loss", `${what}: ${err.message}`, { cause: err });
    throw err;
  }
  checkSize(what, "FileSize", narinfo.fileSize, fileMeter.size);
  checkHash(what, "FileHash", narinfo.fileHash, fileMeter.hash());
  checkSize(what, "NarSize", narinfo.narSize, ingested.narSize);
  checkHash(what, "NarHash", narinfo.narHash, new Hash("sha256", ingested.narSha256));
  return pathInfoOfNarInfo(narinfo, ingested.node);
}
