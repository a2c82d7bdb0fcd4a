// The NAR of a castore node, byte for byte what `nix-store --dump` writes for the same tree.
// Headers and small files are batched into large chunks; the contents of large files pass
// through as the BlobService yields them, uncopied. Anything missing from the store, or a blob
// whose length is not its node's size, fails the stream with a data-loss CastoreError.
import { createHash } from "node:crypto";
import type { BlobService } from "../../castore/blob-service.ts";
import type { DirectoryService } from "../../castore/directory-service.ts";
import { FilePrefetcher, fileContents, loadNodeTree, treeDirectory } from "../../castore/fs/render.ts";
import type { Node } from "../../castore/node.ts";
import { Hash, type HashAlgo } from "../../nix-compat/hash.ts";
import { closeFinished, OutputBuffer, REGULAR_HEADER_LENGTH, tokens } from "../../nix-compat/nar/writer.ts";
import { paddingLength, tokenLength } from "../../nix-compat/nar/wire.ts";

/** Size of the chunks the NAR is yielded in (file contents larger than a chunk bypass them). */
const CHUNK_SIZE = 1 << 20;

const hasNext = (frame: Frame): boolean => frame.next < frame.entries.length;

interface Frame {
  entries: Node[];
  next: number;
  /** The directory's path below the root, for error messages. */
  path: string;
}

/** The NAR of `node`, in fresh chunks the consumer may keep. */
export async function* renderNar(node: Node, blobs: BlobService, directories: DirectoryService): AsyncIterable<Uint8Array> {
  const tree = await loadNodeTree(node, directories);
  // Small files are fetched ahead and copied into the chunk being built; larger ones pass through.
  const prefetcher = new FilePrefetcher(blobs, node, tree);
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
