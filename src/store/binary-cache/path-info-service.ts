// A Nix binary cache as a (read-only) PathInfoService: `get` fetches the narinfo, checks its
// signatures against the trusted keys (when some are configured), downloads and ingests the NAR
// into the castore services it was given, checks the NAR against the narinfo, and only then
// returns the PathInfo.
import type { BlobService } from "../../castore/blob-service.ts";
import type { DirectoryService } from "../../castore/directory-service.ts";
import { CastoreError } from "../../castore/errors.ts";
import { NixCompatError } from "../../nix-compat/errors.ts";
import { type NarInfo, fingerprint, parseNarInfo } from "../../nix-compat/narinfo.ts";
import * as nixbase32 from "../../nix-compat/nixbase32.ts";
import { type TrustedKeys, verifySignature } from "../../nix-compat/signing.ts";
import { DEFAULT_STORE_DIR } from "../../nix-compat/store-path.ts";
import type { PathInfo } from "../path-info.ts";
import type { PathInfoService } from "../path-info-service.ts";
import { ingestNarFile } from "./ingest-nar-file.ts";
import { type CacheSource, readAll } from "./source.ts";

export interface BinaryCacheOptions {
  /** When set, a path needs a valid signature by one of these keys. */
  trustedKeys?: TrustedKeys;
  storeDir?: string;
}

export class BinaryCachePathInfoService implements PathInfoService {
  private readonly source: CacheSource;
  private readonly blobs: BlobService;
  private readonly directories: DirectoryService;
  private readonly trustedKeys: TrustedKeys | undefined;
  private readonly storeDir: string;
  /** Paths fetched (or being fetched) already, by digest in hex: their blobs are ingested. */
  private readonly fetched = new Map<string, Promise<PathInfo | undefined>>();

  constructor(source: CacheSource, blobs: BlobService, directories: DirectoryService, options: BinaryCacheOptions = {}) {
    this.source = source;
    this.blobs = blobs;
    this.directories = directories;
    this.trustedKeys = options.trustedKeys;
    this.storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  }

  get(digest: Uint8Array): Promise<PathInfo | undefined> {
    const key = Buffer.from(digest).toString("hex");
    let pending = this.fetched.get(key);
    if (pending === undefined) {
      pending = this.fetch(nixbase32.encode(digest));
      this.fetched.set(key, pending);
      // A failure is not remembered: the next get tries again.
      pending.catch(() => this.fetched.delete(key));
    }
    return pending;
  }

  private async fetch(hashPart: string): Promise<PathInfo | undefined> {
    const narinfo = await this.readNarInfo(`${hashPart}.narinfo`);
    if (narinfo === undefined) return undefined;
    const path = narinfo.storePath.toAbsolute(this.storeDir);
    if (narinfo.storePath.hashPart !== hashPart) {
      throw new CastoreError("data-loss", `binary cache ${this.source.description}: ${hashPart}.narinfo describes another path, '${path}'`);
    }
    this.checkSignatures(narinfo, path);
    const file = await this.source.read(narinfo.url);
    if (file === undefined) throw new CastoreError("data-loss", `binary cache ${this.source.description}: the NAR '${narinfo.url}' of '${path}' is missing`);
    return ingestNarFile(narinfo, file, this.blobs, this.directories, `NAR '${narinfo.url}' of '${path}' from ${this.source.description}`);
  }

  private async readNarInfo(name: string): Promise<NarInfo | undefined> {
    const stream = await this.source.read(name);
    if (stream === undefined) return undefined;
    const text = (await readAll(stream)).toString("latin1");
    try {
      return parseNarInfo(text, this.storeDir);
    } catch (err) {
      if (!(err instanceof NixCompatError)) throw err;
      throw new CastoreError("data-loss", `binary cache ${this.source.description}: invalid ${name}: ${err.message}`, { cause: err });
    }
  }

  /** As Nix's `checkSignatures` with one signature needed. */
  private checkSignatures(narinfo: NarInfo, path: string): void {
    if (this.trustedKeys === undefined) return;
    const where = `binary cache ${this.source.description}`;
    if (narinfo.signatures.length === 0) throw new CastoreError("data-loss", `${where}: path '${path}' is not signed, and trusted-public-keys are set`);
    const data = fingerprint(narinfo, this.storeDir);
    if (!narinfo.signatures.some((s) => verifySignature(data, s, this.trustedKeys!))) {
      const names = narinfo.signatures.map((s) => s.keyName).join(", ");
      throw new CastoreError("data-loss", `${where}: path '${path}' lacks a valid signature by a trusted key (signed by: ${names})`);
    }
  }

  async put(info: PathInfo): Promise<PathInfo> {
    throw new CastoreError("invalid-argument", `binary cache ${this.source.description} is a read source: cannot add '${info.storePath.toAbsolute(this.storeDir)}'`);
  }

  async *list(): AsyncIterable<PathInfo> {
    for await (const name of this.source.listNarInfos()) {
      const hashPart = name.slice(0, -".narinfo".length);
      if (!nixbase32.isNixBase32(hashPart) || hashPart.length !== 32) continue;
      const info = await this.get(nixbase32.decode(hashPart));
      if (info !== undefined) yield info;
    }
  }

  async close(): Promise<void> {}
}
