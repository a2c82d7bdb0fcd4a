// A NAR stream into castore. The NAR reader is a synchronous push parser; blob writes are
// async. So each chunk of the stream is pushed whole, the parser's events are queued, and the
// queue is worked off before the next chunk is pulled: a large file's contents are written
// chunk by chunk, each write awaited, and small files wait for one of a bounded number of upload
// slots, so memory stays bounded (by the chunk size times the uploads in flight) however large
// the NAR. File contents are written as views of the stream's chunks, uncopied. Directories are put, leaves to root, only once the whole
// NAR has been read and validated: a truncated or hostile NAR leaves no directory behind (the
// blobs already written are unreferenced, as blobs of an interrupted upload are).
import { createHash } from "node:crypto";
import type { BlobService, BlobWriter } from "../../castore/blob-service.ts";
import { type B3Digest, digestHex } from "../../castore/digest.ts";
import { Directory } from "../../castore/directory.ts";
import { putDirectories, type DirectoryService } from "../../castore/directory-service.ts";
import type { Node } from "../../castore/node.ts";
import { settleAll, TaskPool } from "../../castore/task-pool.ts";
import { NarReader, type NarVisitor } from "../../nix-compat/nar/reader.ts";

type NarEvent =
  | { type: "directory" }
  | { type: "entry"; name: string }
  | { type: "directoryEnd" }
  | { type: "file"; executable: boolean; size: number }
  | { type: "contents"; chunk: Uint8Array }
  | { type: "fileEnd" }
  | { type: "symlink"; target: string };

/** The parser's visitor: records events for the async side to work off. */
class EventQueue implements NarVisitor {
  events: NarEvent[] = [];

  take(): NarEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  directory(): void {
    this.events.push({ type: "directory" });
  }
  entry(name: Buffer): void {
    this.events.push({ type: "entry", name: name.toString("latin1") });
  }
  directoryEnd(): void {
    this.events.push({ type: "directoryEnd" });
  }
  file(executable: boolean, size: number): void {
    this.events.push({ type: "file", executable, size });
  }
  contents(chunk: Uint8Array): void {
    this.events.push({ type: "contents", chunk });
  }
  fileEnd(): void {
    this.events.push({ type: "fileEnd" });
  }
  symlink(target: Buffer): void {
    this.events.push({ type: "symlink", target: target.toString("latin1") });
  }
}

/** Blob uploads of small files in flight at once (each may be a round trip, or an fsync). */
const UPLOAD_CONCURRENCY = 16;

type Pending = Node | Promise<Node>;

/** A promise whose rejection is reported where it is awaited, not as unhandled meanwhile. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/**
 * Builds castore nodes from the parser's events. A file whose events all came from one chunk
 * of the stream is uploaded in the background, a few at a time; a file spanning chunks is
 * written as its chunks arrive. So nodes are promises until their uploads finish, and a
 * directory is built once all its entries are.
 */
class TreeBuilder {
  /** Every distinct directory, each after the directories it contains: leaves to root. */
  readonly directories = new Map<string, Directory>();
  readonly uploads = new TaskPool(UPLOAD_CONCURRENCY);
  root: Pending | undefined;
  private readonly blobs: BlobService;
  private readonly open: { name: string; nodes: Pending[] }[] = [];
  private name = "";
  private file: { name: string; executable: boolean; size: number; writer: BlobWriter } | undefined;

  constructor(blobs: BlobService) {
    this.blobs = blobs;
  }

  async apply(events: readonly NarEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      switch (event.type) {
        case "directory":
          this.open.push({ name: this.name, nodes: [] });
          break;
        case "entry":
          this.name = event.name;
          break;
        case "directoryEnd": {
          const { name, nodes } = this.open.pop()!;
          this.add(handled(this.directory(name, nodes)));
          break;
        }
        case "file": {
          let end = i + 1;
          while (end < events.length && events[end].type === "contents") end++;
          if (end < events.length) {
            // The whole file is in this chunk: upload it in the background.
            const chunks = events.slice(i + 1, end).map((e) => (e as { chunk: Uint8Array }).chunk);
            const { name } = this;
            const { done } = await this.uploads.start(() => this.upload(chunks));
            this.add(handled(done.then((digest): Node => ({ kind: "file", name, digest, size: event.size, executable: event.executable }))));
            i = end;
          } else {
            this.file = { name: this.name, executable: event.executable, size: event.size, writer: this.blobs.openWrite() };
          }
          break;
        }
        case "contents":
          await this.file!.writer.write(event.chunk);
          break;
        case "fileEnd": {
          const { name, executable, size, writer } = this.file!;
          this.file = undefined;
          this.add({ kind: "file", name, digest: await writer.close(), size, executable });
          break;
        }
        case "symlink":
          this.add({ kind: "symlink", name: this.name, target: event.target });
          break;
      }
    }
  }

  /** Drops the blob being written, if any, and waits for uploads under way to end. */
  async abort(): Promise<void> {
    await this.file?.writer.abort();
    this.file = undefined;
    await this.uploads.idle();
  }

  private async upload(chunks: readonly Uint8Array[]): Promise<B3Digest> {
    const writer = this.blobs.openWrite();
    try {
      for (const chunk of chunks) await writer.write(chunk);
    } catch (err) {
      await writer.abort();
      throw err;
    }
    return writer.close();
  }

  private async directory(name: string, entries: readonly Pending[]): Promise<Node> {
    // The reader checked names and their order; the constructor checks them again.
    const directory = Directory.fromNodes(await settleAll(entries.map((entry) => Promise.resolve(entry))));
    const key = digestHex(directory.digest());
    if (!this.directories.has(key)) this.directories.set(key, directory);
    return directory.toNode(name);
  }

  private add(node: Pending): void {
    const parent = this.open.at(-1);
    if (parent) parent.nodes.push(node);
    else this.root = node;
  }
}

/**
 * Reads a NAR into castore; returns its root node (anonymous), size and sha256. Fails with the
 * reader's message on a malformed or truncated NAR. The stream's chunks must stay unchanged
 * once yielded (as those of Node streams do).
 */
export async function ingestNar(nar: AsyncIterable<Uint8Array>, blobs: BlobService, directories: DirectoryService): Promise<{ node: Node; narSize: number; narSha256: Uint8Array }> {
  const queue = new EventQueue();
  const reader = new NarReader(queue);
  const builder = new TreeBuilder(blobs);
  const hasher = createHash("sha256");
  let node: Node;
  try {
    for await (const chunk of nar) {
      hasher.update(chunk);
      reader.push(chunk);
      await builder.apply(queue.take());
    }
    reader.end();
    node = await builder.root!;
  } catch (err) {
    await builder.abort();
    throw err;
  }
  if (node.kind === "directory") await putDirectories(directories, builder.directories.values());
  return { node, narSize: reader.offset, narSha256: new Uint8Array(hasher.digest()) };
}
