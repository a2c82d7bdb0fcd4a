// Serialises a filesystem path as a NAR, byte for byte as `nix-store --dump` does. Built for
// speed: synchronous reads straight into one large output buffer, so small headers and files
// are batched into big chunks and file contents are copied once.
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Dirent } from "node:fs";
import { NixCompatError } from "../errors.ts";
import { Hash, type HashAlgo } from "../hash.ts";
import { encodeTokens, NAR_MAGIC, paddingLength, tokenLength } from "./wire.ts";
import { WorkerSink } from "./worker-sink.ts";

const DEFAULT_CHUNK_SIZE = 1 << 20;
/** Room for the longest header the writer emits at once (an entry with a 4095-byte target). */
const MIN_CHUNK_SIZE = 16 << 10;

type NodeKind = "regular" | "directory" | "symlink";

interface DirectoryFrame {
  path: Buffer;
  entries: Dirent<Buffer>[];
  next: number;
}

/** Token runs the writer emits as a whole, encoded once. */
export const tokens = {
  magic: encodeTokens(NAR_MAGIC),
  regular: encodeTokens("(", "type", "regular"),
  executable: encodeTokens("executable", ""),
  contents: encodeTokens("contents"),
  symlink: encodeTokens("(", "type", "symlink", "target"),
  directory: encodeTokens("(", "type", "directory"),
  entry: encodeTokens("entry", "(", "name"),
  node: encodeTokens("node"),
  close: encodeTokens(")"),
};
export const REGULAR_HEADER_LENGTH = tokens.regular.length + tokens.executable.length + tokens.contents.length + 8;

/** Nix's PathFilter: called with the full path of each directory entry; false leaves it (and its subtree) out. */
export type PathFilter = (path: Buffer) => boolean;

export interface NarChunksOptions {
  /** Size of the reused output buffer (default 1 MiB). */
  chunkSize?: number;
  /**
   * Supplies each buffer to fill (at least 16 KiB), instead of one reused buffer: the first
   * before anything is written, the next one just before a chunk is yielded. A chunk stays
   * valid until its buffer is supplied again.
   */
  nextBuffer?: () => Buffer;
  /**
   * Offered each regular file, open, once its header is written. Returning true takes the file
   * over: the consumer reads its `size` bytes (which then follow the chunk yielded next, not part
   * of it) and closes it.
   */
  takeFile?: (fd: number, size: number, path: Buffer) => boolean;
  /** Entries to archive (the root always is), asked in archive order as Nix asks. */
  filter?: PathFilter;
}

/**
 * The NAR of `path`, in chunks of up to `chunkSize` bytes. A symlink is archived as itself, a
 * regular file is executable when its owner may execute it (S_IXUSR), directory entries go in
 * byte order of their names; sockets, FIFOs and devices are an error naming the path. The path
 * is used as given, as `nix-store --dump` does: `link/` (trailing slash) is what the link points to.
 *
 * Every chunk is a view of one reused buffer: it is valid only until the next iteration
 * (unless `nextBuffer` says otherwise).
 */
export function* narChunks(path: string | Buffer, options: NarChunksOptions = {}): Generator<Uint8Array, void, undefined> {
  const size = Math.max(options.chunkSize ?? DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE);
  const out = new OutputBuffer(options.nextBuffer ?? reuse(Buffer.allocUnsafe(size)));
  const root = typeof path === "string" ? Buffer.from(path) : path;
  const filter = options.filter;
  out.put(tokens.magic);
  const stack: DirectoryFrame[] = [];
  const hasNext = (frame: DirectoryFrame): boolean => {
    if (filter) while (frame.next < frame.entries.length && !filter(childPath(frame, frame.entries[frame.next]))) frame.next++;
    return frame.next < frame.entries.length;
  };
  let nodePath = root;
  let kind = kindOf(lstatSync(root), root);
  for (;;) {
    if (kind === "regular") {
      // Stat the open file rather than the name, so the size announced is the size of what we read.
      const fd = openSync(nodePath, constants.O_RDONLY | constants.O_NOFOLLOW);
      let ownFd = true;
      try {
        const stat = fstatSync(fd);
        if (!stat.isFile()) throw new NixCompatError(`file '${nodePath}' changed type while being archived`);
        const size = stat.size;
        if (out.free < REGULAR_HEADER_LENGTH) yield out.take();
        out.put(tokens.regular);
        if (stat.mode & constants.S_IXUSR) out.put(tokens.executable);
        out.put(tokens.contents);
        out.u64(size);
        if (options.takeFile?.(fd, size, nodePath)) {
          ownFd = false;
          yield out.take(); // the header; the contents follow it from the taker
        } else {
          for (let left = size; left > 0; ) {
            if (out.free === 0) yield out.take();
            const n = readSync(fd, out.buffer, out.length, Math.min(out.free, left), null);
            if (n === 0) throw new NixCompatError(`file '${nodePath}' shrank while being archived`);
            out.length += n;
            left -= n;
          }
        }
        if (out.free < 8 + tokens.close.length) yield out.take();
        out.zeros(paddingLength(size));
        out.put(tokens.close);
      } finally {
        if (ownFd) closeSync(fd);
      }
    } else if (kind === "symlink") {
      const target = readlinkSync(nodePath, { encoding: "buffer" });
      const size = tokens.symlink.length + tokenLength(target.length) + tokens.close.length;
      if (out.free < size) yield out.take();
      out.put(tokens.symlink);
      out.string(target);
      out.put(tokens.close);
    } else {
      const entries = readdirSync(nodePath, { withFileTypes: true, encoding: "buffer" });
      entries.sort((a, b) => Buffer.compare(a.name, b.name));
      if (out.free < tokens.directory.length) yield out.take();
      out.put(tokens.directory);
      stack.push({ path: nodePath, entries, next: 0 });
    }

    // The node is written (a directory only opened): close what is complete, then go on with
    // the next entry of the innermost open directory.
    const frame = yield* closeFinished(out, stack, kind !== "directory", hasNext);
    if (!frame) break;
    const entry = frame.entries[frame.next++];
    const header = tokens.entry.length + tokenLength(entry.name.length) + tokens.node.length;
    if (out.free < header) yield out.take();
    out.put(tokens.entry);
    out.string(entry.name);
    out.put(tokens.node);
    nodePath = childPath(frame, entry);
    kind = kindOf(entry, nodePath);
  }
  if (out.length > 0) yield out.rest();
}

/**
 * Once a node is written (a directory only opened, so not `finished`): closes the entries and
 * directories that are complete and returns the innermost open directory that `hasNext` says
 * has an entry left, or undefined once the root is closed.
 */
export function* closeFinished<F>(out: OutputBuffer, stack: F[], finished: boolean, hasNext: (frame: F) => boolean): Generator<Uint8Array, F | undefined, undefined> {
  let frame: F | undefined;
  while ((frame = stack.at(-1))) {
    if (out.free < tokens.close.length) yield out.take();
    if (finished) {
      out.put(tokens.close); // the entry whose node just finished
      finished = false;
      continue;
    }
    if (hasNext(frame)) return frame;
    out.put(tokens.close); // the directory itself
    stack.pop();
    finished = true;
  }
  return undefined;
}

const SLASH = Buffer.from("/");

function childPath(frame: DirectoryFrame, entry: Dirent<Buffer>): Buffer {
  return Buffer.concat([frame.path, SLASH, entry.name]);
}

function kindOf(stat: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }, path: Buffer): NodeKind {
  if (stat.isFile()) return "regular";
  if (stat.isDirectory()) return "directory";
  if (stat.isSymbolicLink()) return "symlink";
  throw new NixCompatError(`file '${path}' has an unsupported type`);
}

/** The NAR hash of `path` (sha256 unless told) and the NAR's size in bytes. */
export function narHash(path: string | Buffer, algo: HashAlgo = "sha256", filter?: PathFilter): { hash: Hash; size: number } {
  const sink = new WorkerSink({ hash: algo });
  drain(path, sink, filter);
  return { hash: new Hash(algo, sink.finish()!), size: sink.size };
}

/** Writes the NAR of `path` to `fd` (which may be a non-blocking pipe); returns its size. */
export function writeNar(path: string | Buffer, fd: number): number {
  const sink = new WorkerSink({ fd });
  drain(path, sink);
  sink.finish();
  return sink.size;
}

/** Feeds the NAR of `path` to `sink`, which runs on a worker thread when the NAR is large. */
function drain(path: string | Buffer, sink: WorkerSink, filter?: PathFilter): void {
  const options: NarChunksOptions = {
    filter,
    nextBuffer: () => sink.nextBuffer(),
    takeFile: (fd, size, name) => sink.takeFile(fd, size, name),
  };
  try {
    for (const chunk of narChunks(path, options)) sink.update(chunk);
  } catch (err) {
    sink.abort();
    throw err;
  }
}

function reuse(buffer: Buffer): () => Buffer {
  return () => buffer;
}

/** The writer's output: a buffer filled front to back and handed out when full. */
export class OutputBuffer {
  buffer: Buffer;
  length = 0;
  private readonly next: () => Buffer;

  constructor(next: () => Buffer) {
    this.next = next;
    this.buffer = this.fresh();
  }

  private fresh(): Buffer {
    const buffer = this.next();
    if (buffer.length < MIN_CHUNK_SIZE) throw new RangeError(`NAR output buffers need at least ${MIN_CHUNK_SIZE} bytes`);
    return buffer;
  }

  get free(): number {
    return this.buffer.length - this.length;
  }

  /** The bytes written so far; writing goes on in the next buffer. */
  take(): Uint8Array {
    const chunk = this.buffer.subarray(0, this.length);
    this.buffer = this.fresh();
    this.length = 0;
    return chunk;
  }

  /** The bytes written last, when there is nothing more to write. */
  rest(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  put(bytes: Uint8Array): void {
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  u64(value: number): void {
    this.buffer.writeUInt32LE(value % 2 ** 32, this.length);
    this.buffer.writeUInt32LE(Math.floor(value / 2 ** 32), this.length + 4);
    this.length += 8;
  }

  zeros(count: number): void {
    this.buffer.fill(0, this.length, this.length + count);
    this.length += count;
  }

  string(bytes: Uint8Array): void {
    this.u64(bytes.length);
    this.put(bytes);
    this.zeros(paddingLength(bytes.length));
  }
}
