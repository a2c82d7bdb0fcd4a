// The NAR of a castore node, byte for byte what `nix-store --dump` writes for the same tree.
// Headers and small files are batched into large chunks; the contents of large files pass
// through as the BlobService yields them, uncopied. Anything missing from the store, or a blob
// whose length is not its node's size, fails the stream with a data-loss CastoreError.
import { createHash } from "node:crypto";
import type { BlobService } from "../../castore/blob-service.ts";
import type { Directory } from "../../castore/directory.ts";
import type { DirectoryService } from "../../castore/directory-service.ts";
import { fileContents, loadTree, treeDirectory } from "../../castore/fs/render.ts";
import type { FileNode, Node } from "../../castore/node.ts";
import { Hash, type HashAlgo } from "../../nix-compat/hash.ts";
import { closeFinished, OutputBuffer, REGULAR_HEADER_LENGTH, tokens } from "../../nix-compat/nar/writer.ts";
import { paddingLength, tokenLength } from "../../nix-compat/nar/wire.ts";

/** Size of the chunks the NAR is yielded in (file contents larger than a chunk bypass them). */
const CHUNK_SIZE = 1 << 20;
/** Files up to this size are copied into the chunk being built; larger ones are passed through. */
const INLINE_FILE_SIZE = 64 << 10;

/** Small files whose contents are fetched ahead of the one being written. */
const PREFETCH_FILES = 16;

const hasNext = (frame: Frame): boolean => frame.next < frame.entries.length;

interface Frame {
  entries: Node[];
  next: number;
  /** The directory's path below the root, for error messages. */
  path: string;
}

/** The NAR of `node`, in fresh chunks the consumer may keep. */
export async function* renderNar(node: Node, blobs: BlobService, directories: DirectoryService): AsyncIterable<Uint8Array> {
  const tree = node.kind === "directory" ? await loadTree(node.digest, directories) : new Map<string, Directory>();
  const prefetcher = new Prefetcher(blobs, filesInNarOrder(node, tree, ""));
  const out = new OutputBuffer(() => Buffer.allocUnsafe(CHUNK_SIZE));
  out.put(tokens.magic);
  const stack: Frame[] = [];
  let current = node;
  let path = "";
  for (;;) {
    if (current.kind === "file") {
      if (out.free < REGULAR_HEADER_LENGTH) yield out.take();
      out.put(tokens.regular);
      if (current.executable) out.put(tokens.executable);
      out.put(tokens.contents);
      out.u64(current.size);
      const prefetched = prefetcher.next();
      if (prefetched) {
        if (out.free < current.size) yield out.take();
        for (const chunk of await prefetched) out.put(chunk);
      } else {
        yield out.take();
        yield* fileContents(blobs, current, path);
      }
      if (out.free < 8 + tokens.close.length) yield out.take();
      out.zeros(paddingLength(current.size));
      out.put(tokens.close);
    } else if (current.kind === "symlink") {
      const target = Buffer.from(current.target, "latin1");
      if (out.free < tokens.symlink.length + tokenLength(target.length) + tokens.close.length) yield out.take();
      out.put(tokens.symlink);
      out.string(target);
      out.put(tokens.close);
    } else {
      const directory = treeDirectory(tree, current.digest, path);
      if (out.free < tokens.directory.length) yield out.take();
      out.put(tokens.directory);
      stack.push({ entries: directory.nodes(), next: 0, path });
    }

    // The node is written (a directory only opened): close what is complete, then go on with
    // the next entry of the innermost open directory.
    const frame = yield* closeFinished(out, stack, current.kind !== "directory", hasNext);
    if (!frame) break;
    current = frame.entries[frame.next++];
    const name = Buffer.from(current.name, "latin1");
    if (out.free < tokens.entry.length + tokenLength(name.length) + tokens.node.length) yield out.take();
    out.put(tokens.entry);
    out.string(name);
    out.put(tokens.node);
    path = frame.path === "" ? current.name : `${frame.path}/${current.name}`;
  }
  if (out.length > 0) yield out.rest();
}

/** The file nodes below `node` (itself, if a file) in the order the NAR holds them, with their paths. */
function* filesInNarOrder(node: Node, tree: Map<string, Directory>, path: string): Generator<{ node: FileNode; path: string }> {
  if (node.kind === "file") yield { node, path };
  if (node.kind !== "directory") return;
  for (const child of treeDirectory(tree, node.digest, path).nodes()) yield* filesInNarOrder(child, tree, path === "" ? child.name : `${path}/${child.name}`);
}

/**
 * Reads the contents of small files ahead of the writer, a few at once, so that a store where
 * each read costs a round trip (files on disk, a remote service) is not read one file at a
 * time. Large files are left to be streamed when their turn comes.
 */
class Prefetcher {
  private readonly blobs: BlobService;
  private readonly files: Iterator<{ node: FileNode; path: string }>;
  /** One entry per upcoming file, in order: its contents, or undefined for a large file. */
  private readonly ahead: (Promise<Uint8Array[]> | undefined)[] = [];

  constructor(blobs: BlobService, files: Iterator<{ node: FileNode; path: string }>) {
    this.blobs = blobs;
    this.files = files;
  }

  /** The next file's contents if it is small (a failure rejects here, in its turn). */
  next(): Promise<Uint8Array[]> | undefined {
    while (this.ahead.length <= PREFETCH_FILES) {
      const file = this.files.next();
      if (file.done) break;
      const { node, path } = file.value;
      if (node.size > INLINE_FILE_SIZE) {
        this.ahead.push(undefined);
        continue;
      }
      const contents = (async () => {
        const chunks: Uint8Array[] = [];
        for await (const chunk of fileContents(this.blobs, node, path)) chunks.push(chunk);
        return chunks;
      })();
      // Awaited in its turn; until then (or if rendering stops early) a failure is not unhandled.
      contents.catch(() => {});
      this.ahead.push(contents);
    }
    return this.ahead.shift();
  }
}

/** Size and hashes of the NAR of `node`, one hash per algorithm asked for, in one pass. */
export async function hashNar(node: Node, blobs: BlobService, directories: DirectoryService, algos: readonly HashAlgo[]): Promise<{ narSize: number; hashes: Hash[] }> {
  const hashers = algos.map((algo) => createHash(algo));
  let narSize = 0;
  for await (const chunk of renderNar(node, blobs, directories)) {
    for (const hasher of hashers) hasher.update(chunk);
    narSize += chunk.length;
  }
  return { narSize, hashes: hashers.map((hasher, i) => new Hash(algos[i], hasher.digest())) };
}

/** NAR size and sha256, as PathInfoService's CalculateNAR answers. */
export async function calculateNar(node: Node, blobs: BlobService, directories: DirectoryService): Promise<{ narSize: number; narSha256: Uint8Array }> {
  const { narSize, hashes } = await hashNar(node, blobs, directories, ["sha256"]);
  return { narSize, narSha256: new Uint8Array(hashes[0].digest) };
}
