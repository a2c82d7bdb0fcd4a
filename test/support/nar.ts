// Helpers for NAR tests: our NAR of a path as one buffer, real Nix's `--dump`/`--restore` as
// subprocesses (async, so several run at once), and a description of a tree on disk that two
// restores can be compared by.
import { spawn } from "node:child_process";
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { hashBytes } from "../../src/nix-compat/hash.ts";
import { narChunks } from "../../src/nix-compat/nar/writer.ts";

/**
 * A small fixed tree with one of each kind of node: nested and empty directories; plain, empty,
 * 8-byte and executable files; a relative symlink whose target has control characters; and a
 * name with a quote, a backslash and control characters.
 */
export function createSampleTree(root: string): void {
  mkdirSync(join(root, "sub/deeper"), { recursive: true });
  mkdirSync(join(root, "empty"));
  writeFileSync(join(root, "a"), "hello");
  writeFileSync(join(root, "sub/deeper/zero"), "");
  writeFileSync(join(root, "sub/eight"), "12345678");
  writeFileSync(join(root, 'sub/q"uote\\\n\t\x01'), "x");
  writeFileSync(join(root, "x"), "#!/bin/sh\n");
  chmodSync(join(root, "x"), 0o755);
  symlinkSync("../a\x02\n", join(root, "sub/link"));
}

export interface SampleNar {
  /** A temporary directory for the suite. */
  work: string;
  /** The sample tree, inside `work`. */
  tree: string;
  /** Nix's NAR of the sample tree. */
  nar: Buffer;
}

/** For a test suite: the sample tree and Nix's NAR of it in a temporary directory, removed afterwards. */
export function useSampleNar(name: string): SampleNar {
  const sample: SampleNar = { work: "", tree: "", nar: Buffer.alloc(0) };
  before(async () => {
    sample.work = mkdtempSync(join(tmpdir(), `tvix-${name}-`));
    sample.tree = join(sample.work, "tree");
    createSampleTree(sample.tree);
    sample.nar = await nixDump(sample.tree);
  });
  after(() => rmSync(sample.work, { recursive: true, force: true }));
  return sample;
}

/** Our NAR of `path`, copied out of the writer's reused buffer. */
export function narBytes(path: string | Buffer): Buffer {
  const parts: Buffer[] = [];
  for (const chunk of narChunks(path)) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

export interface ProcessResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a command to completion, feeding it `input` on stdin. */
export function runProcess(command: string, args: string[], input?: Uint8Array): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => stdout.push(d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout: Buffer.concat(stdout), stderr }));
    // The child may refuse its input early (a bad NAR); that is its answer, not our error.
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

/** `nix-store --dump path`; throws if Nix fails. */
export async function nixDump(path: string): Promise<Buffer> {
  const result = await runProcess("nix-store", ["--dump", path]);
  if (result.status !== 0) throw new Error(`nix-store --dump ${path} failed: ${result.stderr}`);
  return result.stdout;
}

/** `nix-store --restore dir` with `nar` on stdin. */
export function nixRestore(nar: Uint8Array, dir: string): Promise<ProcessResult> {
  return runProcess("nix-store", ["--restore", dir], nar);
}

/** Runs `task` over `items`, `limit` at a time. */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Every node under `root` with its type, permission bits, and contents hash or link target, in
 * byte order of paths: two trees with equal descriptions are the same as far as NAR and modes go.
 */
export function describeTree(root: string): string[] {
  const out: string[] = [];
  const visit = (path: Buffer, relative: string): void => {
    const stat = lstatSync(path);
    const mode = (stat.mode & 0o7777).toString(8);
    if (stat.isSymbolicLink()) out.push(`${relative} symlink ${mode} ${readlinkSync(path, { encoding: "buffer" }).toString("hex")}`);
    else if (stat.isFile()) out.push(`${relative} file ${mode} ${hashBytes("sha256", readFileSync(path)).encode("base16")}`);
    else {
      out.push(`${relative} directory ${mode}`);
      const names = readdirSync(path, { encoding: "buffer" }).sort(Buffer.compare);
      for (const name of names) visit(Buffer.concat([path, Buffer.from("/"), name]), `${relative}/${name.toString("hex")}`);
    }
  };
  visit(Buffer.from(root), ".");
  return out;
}
