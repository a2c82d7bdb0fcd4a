// Finding references in build outputs: which of the request's needles (for Nix, the nixbase32
// hash parts of store paths) occur in an output. Nix scans the output's NAR, so file contents,
// symlink targets and entry names all count. The scan rides along with ingestion — each file's
// bytes are looked at as they go to the blob store — so an output is read once.
//
// The search samples: every needle is at least `minLength` bytes long, so any occurrence holds a
// q-byte gram (q = 4) starting at a multiple of `step` = minLength - q + 1 — for 32-byte hashes,
// one position in 29. Only those grams are looked up (a filter first, then the exact table of
// the grams each needle holds at each offset), and only a match compares bytes: the cost per byte
// is a fraction of an operation, whatever the number of needles. A needle that straddles two
// chunks is found because each chunk is scanned after the tail of the one before.
import type { BlobService, BlobWriter } from "../castore/blob-service.ts";
import type { DirectoryService } from "../castore/directory-service.ts";
import type { Directory } from "../castore/directory.ts";
import { ingestPath } from "../castore/fs/ingest.ts";
import type { Node } from "../castore/node.ts";

const GRAM_SIZE = 4;
const FILTER_BITS = 18;

function filterSlot(gram: number): number {
  return Math.imul(gram, 0x9e3779b1) >>> (32 - FILTER_BITS);
}

/** The `size` bytes at `at` as one integer (size ≤ 4). */
function gramAt(bytes: Uint8Array, at: number, size: number): number {
  let gram = 0;
  for (let i = 0; i < size; i++) gram = (gram << 8) | bytes[at + i];
  return gram;
}

/** Which needles occur in everything fed to it, across any number of separate byte streams. */
export class NeedleScanner {
  private readonly needles: Buffer[];
  private readonly found: Uint8Array;
  private remaining: number;
  readonly maxLength: number;
  private readonly gramSize: number;
  /** Distance between sampled positions. */
  private readonly step: number;
  private readonly filter = new Uint8Array(1 << FILTER_BITS);
  /** For each gram: the needles holding it, and where (index, offset, index, offset, …). */
  private readonly grams = new Map<number, number[]>();

  /** Needles are text (UTF-8 encoded for the search); they must not be empty. */
  constructor(needles: readonly string[]) {
    if (needles.includes("")) throw new RangeError("a needle must not be empty");
    this.needles = needles.map((needle) => Buffer.from(needle));
    this.found = new Uint8Array(needles.length);
    this.remaining = needles.length;
    const minLength = Math.min(...this.needles.map((needle) => needle.length));
    this.maxLength = Math.max(0, ...this.needles.map((needle) => needle.length));
    this.gramSize = Math.min(GRAM_SIZE, minLength);
    this.step = minLength - this.gramSize + 1;
    this.needles.forEach((needle, index) => {
      for (let offset = 0; offset < this.step; offset++) {
        const gram = gramAt(needle, offset, this.gramSize);
        this.filter[filterSlot(gram)] = 1;
        const places = this.grams.get(gram);
        if (places === undefined) this.grams.set(gram, [index, offset]);
        else places.push(index, offset);
      }
    });
  }

  /** True once every needle was found: nothing more to look for. */
  get done(): boolean {
    return this.remaining === 0;
  }

  /** Indices of the needles found so far, ascending. */
  foundIndices(): number[] {
    const indices: number[] = [];
    this.found.forEach((flag, index) => {
      if (flag) indices.push(index);
    });
    return indices;
  }

  /** Scans one complete byte sequence (a symlink target, a name). */
  scan(bytes: Uint8Array): void {
    this.scanBuffer(bytes);
  }

  /** A stream of bytes (one file's contents) fed in chunks. */
  stream(): NeedleStream {
    return new NeedleStream(this);
  }

  /** Scans `buffer`; returns how many bytes at its end may begin a needle that continues later. */
  scanBuffer(buffer: Uint8Array): number {
    if (this.done) return 0;
    const { filter, gramSize, step } = this;
    const last = buffer.length - gramSize;
    for (let at = 0; at <= last; at += step) {
      const gram = gramAt(buffer, at, gramSize);
      if (filter[filterSlot(gram)] === 1 && this.compareAt(buffer, at, gram) && this.done) return 0;
    }
    return Math.min(buffer.length, this.maxLength - 1);
  }

  /** Marks the needles that hold `gram` and occur in `buffer` with it at `at`; true if one was new. */
  private compareAt(buffer: Uint8Array, at: number, gram: number): boolean {
    const places = this.grams.get(gram);
    if (places === undefined) return false;
    let any = false;
    for (let i = 0; i < places.length; i += 2) {
      const index = places[i];
      const start = at - places[i + 1];
      const needle = this.needles[index];
      if (this.found[index] || start < 0 || start + needle.length > buffer.length) continue;
      if (needle.equals(buffer.subarray(start, start + needle.length))) {
        this.found[index] = 1;
        this.remaining--;
        any = true;
      }
    }
    return any;
  }
}

/** One byte stream: the tail of each chunk is kept so that a needle across chunks is found. */
export class NeedleStream {
  private readonly scanner: NeedleScanner;
  private tail: Uint8Array = new Uint8Array(0);

  constructor(scanner: NeedleScanner) {
    this.scanner = scanner;
  }

  update(chunk: Uint8Array): void {
    if (this.scanner.done || chunk.length === 0) return;
    // The needles across the boundary are in the tail and the start of the chunk; those inside
    // the chunk are found in the chunk itself, which is not copied.
    const keep = this.scanner.maxLength - 1;
    if (this.tail.length > 0) this.scanner.scanBuffer(Buffer.concat([this.tail, chunk.subarray(0, keep)]));
    const tailOfChunk = this.scanner.scanBuffer(chunk);
    // Copied (Uint8Array's slice, not Buffer's): the caller may reuse the chunk's memory.
    const joined = tailOfChunk >= keep || this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    this.tail = Uint8Array.prototype.slice.call(joined, joined.length - Math.min(keep, joined.length));
  }
}

/** `blobs`, with every blob written also fed to `scanner`, each as a stream of its own. */
function scanningBlobs(blobs: BlobService, scanner: NeedleScanner): BlobService {
  return {
    has: (digest) => blobs.has(digest),
    chunks: (digest) => blobs.chunks(digest),
    read: (digest) => blobs.read(digest),
    openWrite: (): BlobWriter => {
      const writer = blobs.openWrite();
      const stream = scanner.stream();
      return {
        write: (chunk) => {
          stream.update(chunk);
          return writer.write(chunk);
        },
        close: () => writer.close(),
        abort: () => writer.abort(),
      };
    },
    // Not ours to close.
    close: async () => {},
  };
}

function scanDirectory(directory: Directory, scanner: NeedleScanner): void {
  for (const node of directory.nodes()) {
    scanner.scan(Buffer.from(node.name, "latin1"));
    if (node.kind === "symlink") scanner.scan(Buffer.from(node.target, "latin1"));
  }
}

/** `directories`, with the names and symlink targets of every directory stored fed to `scanner`. */
function scanningDirectories(directories: DirectoryService, scanner: NeedleScanner): DirectoryService {
  return {
    get: (digest) => directories.get(digest),
    getRecursive: (digest) => directories.getRecursive(digest),
    putMultiple: () => {
      const putter = directories.putMultiple();
      return {
        put: (directory) => {
          scanDirectory(directory, scanner);
          return putter.put(directory);
        },
        close: () => putter.close(),
      };
    },
    close: async () => {},
  };
}

/**
 * Ingests the output at `path` into the blob and directory services and returns its anonymous
 * node with the indices of the `needles` it contains.
 */
export async function ingestScanning(path: string, blobs: BlobService, directories: DirectoryService, needles: readonly string[]): Promise<{ node: Node; needles: number[] }> {
  if (needles.length === 0) return { node: await ingestPath(path, blobs, directories), needles: [] };
  const scanner = new NeedleScanner(needles);
  const node = await ingestPath(path, scanningBlobs(blobs, scanner), scanningDirectories(directories, scanner));
  if (node.kind === "symlink") scanner.scan(Buffer.from(node.target, "latin1"));
  return { node, needles: scanner.foundIndices() };
}
