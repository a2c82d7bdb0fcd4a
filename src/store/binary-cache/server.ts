// The Nix HTTP binary cache protocol in front of any store (`tvix store serve`):
//   GET  /nix-cache-info                      StoreDir, WantMassQuery, Priority
//   GET|HEAD /<hash>.narinfo                  rendered from the PathInfo, signed with the serve key
//   GET|HEAD /nar/<hash>-<narhash>.nar[.xz|.zst|.br]   the NAR rendered from castore, compressed
//                                             on the fly as the extension says
//   PUT  /nar/<name>                          an upload (`nix copy --to`), staged until …
//   PUT  /<hash>.narinfo                      … its narinfo: ingest, check, then put the PathInfo
// A NAR URL carries the store path's hash (to find the PathInfo without an index by NAR hash)
// and the NAR hash (so that a URL from an outdated narinfo is not answered with other bytes).
// Nix takes a narinfo without FileHash/FileSize (it checks the NAR hash after unpacking), which
// is what on-the-fly compression gives; uncompressed NARs get both.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CastoreError } from "../../castore/errors.ts";
import { NixCompatError } from "../../nix-compat/errors.ts";
import { Hash } from "../../nix-compat/hash.ts";
import { type NarInfo, formatNarInfo, parseNarInfo } from "../../nix-compat/narinfo.ts";
import * as nixbase32 from "../../nix-compat/nixbase32.ts";
import type { SecretKey } from "../../nix-compat/signing.ts";
import { DEFAULT_STORE_DIR } from "../../nix-compat/store-path.ts";
import type { Store } from "../composition.ts";
import { renderNar } from "../nar/render.ts";
import type { PathInfo } from "../path-info.ts";
import { signPathInfo } from "../signing-path-info-service.ts";
import { type Compression, compress, compressionOfNarName, narExtension } from "./compression.ts";
import { ingestNarFile } from "./ingest-nar-file.ts";
import { type NarFile, narInfoOfPathInfo, pathInfoOfNarInfo } from "./narinfo.ts";
import { NarUploads } from "./uploads.ts";

export interface ServeOptions {
  storeDir?: string;
  /** Signs every narinfo served (in addition to the signatures the PathInfo has). */
  signingKey?: SecretKey;
  /** How the NARs the narinfos point to are compressed (default none). */
  compression?: Compression;
  /** The cache's priority in nix-cache-info (lower is preferred; Nix's default 50). */
  priority?: number;
  /** Where uploads wait for their narinfo (default: a temporary directory). */
  uploadDirectory?: string;
  /** One line per request. */
  log?: (line: string) => void;
  /** Called with the size of every chunk of a response body sent, for progress displays. */
  onSent?: (bytes: number) => void;
}

const NIX32 = "[0-9a-df-np-sv-z]";
const NARINFO_PATH = new RegExp(`^(${NIX32}{32})\\.narinfo$`);
const SERVED_NAR_PATH = new RegExp(`^nar/(${NIX32}{32})-(${NIX32}{52})\\.nar(?:\\.[a-z0-9]+)?$`);
const MAX_NARINFO_BYTES = 1 << 20;

class HttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof NixCompatError) return 400;
  if (err instanceof CastoreError) {
    return { "not-found": 404, "invalid-argument": 400, "data-loss": 400, unavailable: 503 }[err.code];
  }
  return 500;
}

export class BinaryCacheServer {
  private readonly store: Store;
  private readonly storeDir: string;
  private readonly signingKey: SecretKey | undefined;
  private readonly compression: Compression;
  private readonly priority: number;
  private readonly uploads: NarUploads;
  private readonly log: (line: string) => void;
  private readonly onSent: (bytes: number) => void;
  private readonly server: Server;

  private constructor(store: Store, uploads: NarUploads, options: ServeOptions) {
    this.store = store;
    this.uploads = uploads;
    this.storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
    this.signingKey = options.signingKey;
    this.compression = options.compression ?? "none";
    this.priority = options.priority ?? 50;
    this.log = options.log ?? (() => {});
    this.onSent = options.onSent ?? (() => {});
    this.server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => void this.handle(req, res));
  }

  /** Starts serving `store` on `host`:`port` (port 0: any free port, see `address`). */
  static async listen(store: Store, host: string, port: number, options: ServeOptions = {}): Promise<BinaryCacheServer> {
    const uploads = await NarUploads.open(options.uploadDirectory);
    const server = new BinaryCacheServer(store, uploads, options);
    try {
      await new Promise<void>((resolve, reject) => {
        server.server.once("error", reject);
        server.server.listen(port, host, () => {
          server.server.off("error", reject);
          resolve();
        });
      });
    } catch (err) {
      await uploads.close();
      throw err;
    }
    return server;
  }

  get address(): { host: string; port: number } {
    const address = this.server.address() as AddressInfo;
    return { host: address.address, port: address.port };
  }

  /** Stops accepting requests, ends open connections and removes staged uploads. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    await this.uploads.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    res.on("close", () => {
      const ms = (performance.now() - started).toFixed(1);
      const incomplete = res.writableFinished ? "" : " (incomplete)";
      this.log(`${req.method} ${req.url} ${res.statusCode}${incomplete} ${ms} ms`);
    });
    try {
      await this.route(req, res);
    } catch (err) {
      const status = statusOf(err);
      if (status === 500) this.log(`internal error: ${(err as Error).stack ?? String(err)}`);
      if (res.headersSent) {
        // Too late for a status: break the connection, so the client sees a truncated body.
        res.destroy();
        return;
      }
      req.resume();
      this.sendText(res, status, `${(err as Error).message}\n`, req.method === "HEAD");
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname).replace(/^\/+/, "");
    } catch {
      throw new HttpError(400, `malformed request path '${req.url}'`);
    }
    const method = req.method ?? "GET";
    const head = method === "HEAD";
    if (method === "GET" || head) {
      if (path === "nix-cache-info") return this.sendText(res, 200, this.cacheInfo(), head, "text/x-nix-cache-info");
      if (NARINFO_PATH.test(path)) return this.getNarInfo(path, res, head);
      if (SERVED_NAR_PATH.test(path)) return this.getNar(path, req, res, head);
      if (NarUploads.isUploadPath(path)) return this.getUpload(path, req, res, head);
      throw notFound(path);
    }
    if (method === "PUT") {
      if (NARINFO_PATH.test(path)) return this.putNarInfo(path, req, res);
      if (NarUploads.isUploadPath(path)) return this.putNar(path, req, res);
      throw new HttpError(400, `cannot upload '${path}': only nar/NAME and HASH.narinfo can be uploaded`);
    }
    res.setHeader("Allow", "GET, HEAD, PUT");
    throw new HttpError(405, `method ${method} is not supported`);
  }

  private cacheInfo(): string {
    return `StoreDir: ${this.storeDir}\nWantMassQuery: 1\nPriority: ${this.priority}\n`;
  }

  private sendText(res: ServerResponse, status: number, text: string, head: boolean, contentType = "text/plain; charset=utf-8"): void {
    const body = Buffer.from(text, "latin1");
    res.writeHead(status, { "Content-Type": contentType, "Content-Length": body.length });
    res.end(head ? undefined : body);
  }

  private async lookup(hashPart: string): Promise<PathInfo | undefined> {
    return this.store.pathInfos.get(nixbase32.decode(hashPart));
  }

  /** Where the NAR of `info` is served, compressed as configured. */
  private narFile(info: PathInfo): NarFile {
    const narHash = new Hash("sha256", info.narSha256);
    const url = `nar/${info.storePath.hashPart}-${narHash.encode("nix32")}.nar${narExtension(this.compression)}`;
    if (this.compression !== "none") return { url, compression: this.compression };
    return { url, compression: "none", fileHash: narHash, fileSize: info.narSize };
  }

  private async getNarInfo(path: string, res: ServerResponse, head: boolean): Promise<void> {
    const hashPart = NARINFO_PATH.exec(path)![1];
    const info = await this.lookup(hashPart);
    if (info === undefined) throw new HttpError(404, `no store path with hash ${hashPart} here`);
    const signatures = this.signingKey ? [signPathInfo(info, this.signingKey, this.storeDir)] : [];
    const text = formatNarInfo(narInfoOfPathInfo(info, this.narFile(info), signatures), this.storeDir);
    this.sendText(res, 200, text, head, "text/x-nix-narinfo");
  }

  private async getNar(path: string, req: IncomingMessage, res: ServerResponse, head: boolean): Promise<void> {
    const [, hashPart, narHash] = SERVED_NAR_PATH.exec(path)!;
    const info = await this.lookup(hashPart);
    if (info === undefined || nixbase32.encode(info.narSha256) !== narHash) throw notFound(path);
    return this.sendNar(path, info, req, res, head);
  }

  /**
   * An uploaded NAR file by the name it was uploaded as (Nix fetches it so after uploading, from
   * the narinfo it keeps): rendered from the path it became, or the staged file itself.
   */
  private async getUpload(path: string, req: IncomingMessage, res: ServerResponse, head: boolean): Promise<void> {
    const taken = this.uploads.takenAs(path);
    if (taken !== undefined) {
      const info = await this.lookup(taken.hashPart);
      if (info !== undefined && taken.narHash.digest.equals(info.narSha256)) return this.sendNar(path, info, req, res, head);
    }
    const staged = await this.uploads.openStaged(path);
    if (staged === undefined) throw notFound(path);
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": staged.size });
    if (head) {
      (staged.stream as Readable).destroy();
      res.end();
      return;
    }
    await pipeline(staged.stream, res);
  }

  /**
   * The NAR of `info`, compressed as the extension of `path` says. An uncompressed NAR also
   * answers a single byte range (curl resumes a broken-off download with one); a compressed one
   * has no known length, so a range is ignored and the whole file sent.
   */
  private async sendNar(path: string, info: PathInfo, req: IncomingMessage, res: ServerResponse, head: boolean): Promise<void> {
    const compression = compressionOfNarName(path);
    if (compression === undefined || compression === "bzip2") throw notFound(path);
    const headers: Record<string, string | number> = { "Content-Type": "application/x-nix-nar" };
    let range: ByteRange | undefined;
    if (compression === "none") {
      headers["Accept-Ranges"] = "bytes";
      headers["Content-Length"] = info.narSize;
      const requested = parseRange(req.headers.range, info.narSize);
      if (requested === "unsatisfiable") {
        res.setHeader("Content-Range", `bytes */${info.narSize}`);
        throw new HttpError(416, `range '${req.headers.range}' is outside the ${info.narSize} bytes of '${path}'`);
      }
      range = requested;
      if (range) {
        headers["Content-Range"] = `bytes ${range.start}-${range.end - 1}/${info.narSize}`;
        headers["Content-Length"] = range.end - range.start;
      }
    }
    res.writeHead(range ? 206 : 200, headers);
    if (head) {
      res.end();
      return;
    }
    const nar = renderNar(info.node, this.store.blobs, this.store.directories);
    const body = range ? slice(nar, range) : compress(compression, nar);
    await pipeline(Readable.from(this.counted(body), { objectMode: false, highWaterMark: 1 << 20 }), res);
  }

  private async *counted(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    for await (const chunk of body) {
      this.onSent(chunk.length);
      yield chunk;
    }
  }

  private async putNar(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const length = req.headers["content-length"];
    await this.uploads.stage(path, req, length === undefined ? undefined : Number(length));
    this.sendText(res, 200, "", false);
  }

  private async putNarInfo(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hashPart = NARINFO_PATH.exec(path)![1];
    const narinfo = await this.readNarInfo(req);
    if (narinfo.storePath.hashPart !== hashPart) {
      throw new HttpError(400, `${path} describes another store path, '${narinfo.storePath.toAbsolute(this.storeDir)}'`);
    }
    const { info, staged } = await this.takeNar(narinfo);
    await this.store.pathInfos.put(info);
    // Recorded only now that the path exists: a second narinfo naming the file finds it.
    if (staged) await this.uploads.take(narinfo.url, { hashPart: narinfo.storePath.hashPart, narHash: narinfo.narHash });
    this.sendText(res, 200, "", false);
  }

  private async readNarInfo(req: IncomingMessage): Promise<NarInfo> {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const part of req as AsyncIterable<Buffer>) {
      size += part.length;
      if (size > MAX_NARINFO_BYTES) throw new HttpError(413, `a narinfo larger than ${MAX_NARINFO_BYTES} bytes is refused`);
      parts.push(part);
    }
    return parseNarInfo(Buffer.concat(parts).toString("latin1"), this.storeDir);
  }

  /** The PathInfo of `narinfo`, from the NAR file it names: staged, or taken in before. */
  private async takeNar(narinfo: NarInfo): Promise<{ info: PathInfo; staged: boolean }> {
    const url = narinfo.url;
    const path = narinfo.storePath.toAbsolute(this.storeDir);
    if (!NarUploads.isUploadPath(url)) throw new HttpError(400, `the URL '${url}' of '${path}' is not an uploaded NAR file (nar/NAME)`);
    const staged = await this.uploads.openStaged(url);
    if (staged === undefined) {
      const taken = this.uploads.takenAs(url);
      const earlier = taken && (await this.lookup(taken.hashPart));
      if (earlier === undefined || !narinfo.narHash.digest.equals(earlier.narSha256) || narinfo.narSize !== earlier.narSize) {
        throw new HttpError(400, `the NAR file '${url}' of '${path}' was not uploaded`);
      }
      return { info: pathInfoOfNarInfo(narinfo, earlier.node), staged: false };
    }
    const info = await ingestNarFile(narinfo, staged.stream, this.store.blobs, this.store.directories, `NAR file '${url}' of '${path}'`);
    return { info, staged: true };
  }
}

/** Bytes `start` to `end` (exclusive). */
interface ByteRange {
  start: number;
  end: number;
}

/**
 * A single `bytes=FIRST-[LAST]` or `bytes=-SUFFIX` range of a body of `size` bytes; undefined
 * (send everything) without one or for forms not handled (several ranges).
 */
function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    return suffix === 0 ? "unsatisfiable" : { start: Math.max(size - suffix, 0), end: size };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size : Math.min(Number(match[2]) + 1, size);
  if (start >= size || end <= start) return "unsatisfiable";
  return { start, end };
}

/** The bytes of `source` from `range.start` to `range.end`. */
async function* slice(source: AsyncIterable<Uint8Array>, range: ByteRange): AsyncIterable<Uint8Array> {
  let offset = 0;
  for await (const chunk of source) {
    const from = Math.max(range.start - offset, 0);
    const to = Math.min(range.end - offset, chunk.length);
    offset += chunk.length;
    if (to > from) yield chunk.subarray(from, to);
    if (offset >= range.end) return;
  }
}

function notFound(path: string): HttpError {
  return new HttpError(404, `'${path}' does not exist in this binary cache`);
}
