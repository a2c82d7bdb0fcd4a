// Verifying a store: everything reachable from its path infos is read back and re-hashed.
// Directories must hash to the digest they are stored under, form complete trees and carry
// their children's true sizes; blobs must hash to their digest and have their file's size; each
// path's NAR (rendered from castore) must have the recorded size and sha256; content-addressed
// paths must match their content address; references must be in the store. A problem is
// reported and verification goes on, so one run lists everything wrong.
import type { BlobService } from "../castore/blob-service.ts";
import { type B3Digest, Blake3Hasher, digestEquals, digestHex, formatDigest } from "../castore/digest.ts";
import { RootToLeavesValidator } from "../castore/directory-graph.ts";
import type { DirectoryService } from "../castore/directory-service.ts";
import { CastoreError } from "../castore/errors.ts";
import { fileContents, loadTree } from "../castore/fs/render.ts";
import type { Node } from "../castore/node.ts";
import { formatContentAddress } from "../nix-compat/content-address.ts";
import { Hash, type HashAlgo, Hasher } from "../nix-compat/hash.ts";
import { DEFAULT_STORE_DIR, type StorePath, makeFixedOutputPath, makeTextPath } from "../nix-compat/store-path.ts";
import type { Store } from "./composition.ts";
import { hashNar } from "./nar/render.ts";
import type { PathInfo } from "./path-info.ts";

export interface VerifyOptions {
  storeDir?: string;
  /** Called as each path is about to be checked. */
  onProgress?: (done: number, total: number, storePath: string) => void;
}

export interface VerifyProblem {
  /** The store path the problem was found under. */
  storePath: StorePath;
  message: string;
}

export interface VerifyReport {
  paths: number;
  /** Distinct blobs and directories read back. */
  blobs: number;
  directories: number;
  problems: VerifyProblem[];
}

export async function verifyStore(store: Store, options: VerifyOptions = {}): Promise<VerifyReport> {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const infos: PathInfo[] = [];
  for await (const info of store.pathInfos.list()) infos.push(info);
  const known = new Set(infos.map((info) => digestHex(info.storePath.digest)));
  const verifier = new Verifier(store.blobs, store.directories);
  const problems: VerifyProblem[] = [];
  for (const [i, info] of infos.entries()) {
    options.onProgress?.(i, infos.length, info.storePath.toAbsolute(storeDir));
    for (const message of await verifier.pathProblems(info, known, storeDir)) problems.push({ storePath: info.storePath, message });
  }
  return { paths: infos.length, blobs: verifier.blobCount, directories: verifier.directoryCount, problems };
}

class Verifier {
  private readonly blobs: BlobService;
  private readonly directories: DirectoryService;
  /** Checked directory trees by root digest: undefined if sound, else the problem. */
  private readonly trees = new Map<string, string | undefined>();
  private readonly seenDirectories = new Set<string>();
  private readonly seenBlobs = new Set<string>();
  /** Blobs read to the end and found sound (the NAR renderer reads ahead, so seen is not checked). */
  private readonly soundBlobs = new Set<string>();
  /** The blob service as the NAR renderer sees it: every blob read is re-hashed. */
  private readonly hashingBlobs: BlobService;

  constructor(blobs: BlobService, directories: DirectoryService) {
    this.blobs = blobs;
    this.directories = directories;
    this.hashingBlobs = {
      has: (digest) => blobs.has(digest),
      chunks: (digest) => blobs.chunks(digest),
      read: async (digest) => {
        this.seenBlobs.add(digestHex(digest));
        const stream = await blobs.read(digest);
        return stream && this.rehashed(digest, stream);
      },
      openWrite: () => blobs.openWrite(),
      close: async () => {},
    };
  }

  get blobCount(): number {
    return this.seenBlobs.size;
  }

  get directoryCount(): number {
    return this.seenDirectories.size;
  }

  async pathProblems(info: PathInfo, known: Set<string>, storeDir: string): Promise<string[]> {
    const problems: string[] = [];
    for (const reference of info.references) {
      if (!known.has(digestHex(reference.digest))) problems.push(`its reference '${reference.toAbsolute(storeDir)}' is not in the store`);
    }
    const caProblem = contentAddressProblem(info, storeDir);
    if (caProblem) problems.push(caProblem);
    if (info.node.kind === "directory") {
      const treeProblem = await this.treeProblem(info.node.digest, info.node.size);
      // The NAR cannot be rendered from an unsound tree.
      if (treeProblem) return [...problems, treeProblem];
    }
    try {
      problems.push(...(await this.narProblems(info)));
    } catch (err) {
      if (!(err instanceof CastoreError)) throw err;
      problems.push(err.message);
      // The NAR stopped at the first bad blob: check the others one by one.
      problems.push(...(await this.unreadBlobProblems(info.node, err.message)));
    }
    return problems;
  }

  /** Reads every blob below `node` not found sound yet, but the one `reported` names; what fails is a problem. */
  private async unreadBlobProblems(node: Node, reported: string): Promise<string[]> {
    const files = node.kind === "file" ? [node] : node.kind === "directory" ? [...(await loadTree(node.digest, this.directories)).values()].flatMap((d) => d.files) : [];
    const problems: string[] = [];
    const checked = new Set<string>();
    for (const file of files) {
      const key = digestHex(file.digest);
      if (this.soundBlobs.has(key) || checked.has(key) || reported.includes(formatDigest(file.digest))) continue;
      checked.add(key);
      try {
        for await (const _chunk of fileContents(this.hashingBlobs, file, file.name));
      } catch (err) {
        if (!(err instanceof CastoreError)) throw err;
        problems.push(err.message);
      }
    }
    return problems;
  }

  /** Re-hashes the NAR (and so every blob in it), and a flat or text path's contents. */
  private async narProblems(info: PathInfo): Promise<string[]> {
    const problems: string[] = [];
    const ca = info.ca;
    const narAlgos: HashAlgo[] = ca?.method === "recursive" && ca.hash.algo !== "sha256" ? ["sha256", ca.hash.algo] : ["sha256"];
    const { narSize, hashes } = await hashNar(info.node, this.hashingBlobs, this.directories, narAlgos);
    const narHash = hashes[0];
    if (narSize !== info.narSize) problems.push(`its NAR has ${narSize} bytes, but ${info.narSize} are recorded`);
    if (!digestEquals(narHash.digest, info.narSha256)) {
      problems.push(`its NAR hash is ${narHash.toSri()}, but ${new Hash("sha256", info.narSha256).toSri()} is recorded`);
    }
    if (ca === undefined) return problems;
    const contents = ca.method === "recursive" ? hashes[narAlgos.indexOf(ca.hash.algo)] : await this.fileHash(info.node, ca.hash.algo);
    if (contents === undefined) problems.push(`it is content-addressed as a flat file ('${formatContentAddress(ca)}'), but it is a ${info.node.kind}`);
    else if (!contents.equals(ca.hash)) problems.push(`its contents hash to ${contents.format("nix32")}, but its content address is '${formatContentAddress(ca)}'`);
    return problems;
  }

  private async fileHash(node: Node, algo: HashAlgo): Promise<Hash | undefined> {
    if (node.kind !== "file") return undefined;
    const hasher = new Hasher(algo);
    for await (const chunk of fileContents(this.hashingBlobs, node, "")) hasher.update(chunk);
    return hasher.finish();
  }

  /** Checks the tree below `root` once: digests, order, completeness and sizes. */
  private async treeProblem(root: B3Digest, rootSize: number): Promise<string | undefined> {
    const key = digestHex(root);
    if (this.trees.has(key)) return this.trees.get(key);
    let problem: string | undefined;
    try {
      problem = await this.checkTree(root, rootSize);
    } catch (err) {
      if (!(err instanceof CastoreError)) throw err;
      problem = err.message;
    }
    this.trees.set(key, problem);
    return problem;
  }

  private async checkTree(root: B3Digest, rootSize: number): Promise<string | undefined> {
    const validator = new RootToLeavesValidator(root);
    // The size each directory was referred to with, checked against its own when it arrives.
    const sizes = new Map<string, { size: number; parent: B3Digest }>();
    let received = 0;
    for await (const directory of this.directories.getRecursive(root)) {
      validator.add(directory);
      received++;
      const key = digestHex(directory.digest());
      this.seenDirectories.add(key);
      const expected = sizes.get(key);
      if (received === 1 && directory.size !== rootSize) {
        return `its root directory ${formatDigest(root)} has size ${directory.size}, but its node says ${rootSize}`;
      }
      if (expected && expected.size !== directory.size) {
        return `directory ${formatDigest(expected.parent)} gives its child ${formatDigest(directory.digest())} size ${expected.size}, but it has size ${directory.size}`;
      }
      for (const child of directory.directories) sizes.set(digestHex(child.digest), { size: child.size, parent: directory.digest() });
    }
    if (received === 0) return `its root directory ${formatDigest(root)} is missing`;
    validator.finish();
    return undefined;
  }

  /** `stream` as it is read, failing at its end if the bytes do not hash to `digest`. */
  private async *rehashed(digest: B3Digest, stream: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    const hasher = new Blake3Hasher();
    for await (const chunk of stream) {
      hasher.update(chunk);
      yield chunk;
    }
    const actual = hasher.digest();
    if (!digestEquals(actual, digest)) {
      throw new CastoreError("data-loss", `blob ${formatDigest(digest)} is corrupt: its contents hash to ${formatDigest(actual)}`);
    }
    this.soundBlobs.add(digestHex(digest));
  }
}

/** Why the store path does not follow from its content address, or undefined if it does. */
function contentAddressProblem(info: PathInfo, storeDir: string): string | undefined {
  const ca = info.ca;
  if (ca === undefined) return undefined;
  const self = info.storePath;
  const others = info.references.filter((r) => !r.equals(self)).map((r) => r.toAbsolute(storeDir));
  const hasSelfReference = others.length < info.references.length;
  let expected: StorePath;
  try {
    if (ca.method === "text") {
      if (hasSelfReference) return `it is a text path ('${formatContentAddress(ca)}') that refers to itself`;
      expected = makeTextPath(self.name, ca.hash, others, storeDir);
    } else {
      expected = makeFixedOutputPath(self.name, ca.method, ca.hash, { references: others, hasSelfReference, storeDir });
    }
  } catch (err) {
    return `its content address '${formatContentAddress(ca)}' is impossible: ${(err as Error).message}`;
  }
  if (expected.equals(self)) return undefined;
  return `its content address '${formatContentAddress(ca)}' gives the path '${expected.toAbsolute(storeDir)}'`;
}
