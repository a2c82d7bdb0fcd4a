// Unpacks a NAR into a new path, like `nix-store --restore`, but atomically: the archive is
// unpacked into a temporary directory beside the target and moved into place only once all of
// it has been read and validated. On any error nothing is left behind.
import { randomBytes } from "node:crypto";
import { closeSync, constants, fchmodSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, rmdirSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { NixCompatError } from "../errors.ts";
import { readNar, type NarReaderOptions, type NarVisitor } from "./reader.ts";
import { writeFully } from "./write-fd.ts";

/** The modes `nix-store --restore` gives, whatever the umask (Nix sets its umask to 022). */
const DIRECTORY_MODE = 0o755;
const FILE_MODE = 0o644;
const EXECUTABLE_MODE = 0o755;

const CREATE_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Restores the NAR read from `source` at `target`, which must not exist; returns the NAR's size.
 * Names are validated by the reader before any filesystem call, every node is created fresh
 * (O_EXCL, mkdir), and nothing is ever opened through a symlink the archive made.
 */
export async function restoreNar(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  target: string,
  options?: NarReaderOptions,
): Promise<number> {
  return restoreTree(target, (visitor) => readNar(source, visitor, options));
}

/**
 * Creates the tree that `produce` describes to the visitor it is given (in NAR order, with
 * valid names) at `target`, which must not exist, atomically as `restoreNar` does: the tree is
 * built beside the target and moved into place once `produce` has succeeded.
 */
export async function restoreTree<T>(target: string, produce: (visitor: NarVisitor) => Promise<T>): Promise<T> {
  const destination = resolve(target);
  if (lstatSync(destination, { throwIfNoEntry: false })) throw new NixCompatError(`cannot restore to '${target}': it already exists`);
  const scratch = createScratchDirectory(destination);
  const root = join(scratch.path, "root");
  const writer = new RestoringVisitor(Buffer.from(root), scratch.umaskStripsModes);
  try {
    const result = await produce(writer);
    claim(root, destination, target);
    rmdirSync(scratch.path);
    return result;
  } catch (err) {
    writer.abort();
    rmSync(scratch.path, { recursive: true, force: true });
    throw err;
  }
}

/**
 * A fresh directory beside `destination` (so the final rename stays on one filesystem). It is
 * made with mode 0755, which also tells whether the umask would strip bits from the modes Nix
 * gives and so whether every node needs an explicit chmod.
 */
function createScratchDirectory(destination: string): { path: string; umaskStripsModes: boolean } {
  const parent = dirname(destination);
  for (;;) {
    const path = join(parent, `.tvix-restore-${randomBytes(6).toString("hex")}`);
    try {
      mkdirSync(path, DIRECTORY_MODE);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST") continue;
      if (code === "ENOENT" || code === "ENOTDIR") {
        throw new NixCompatError(`cannot restore to '${destination}': directory '${parent}' does not exist`);
      }
      throw err;
    }
    return { path, umaskStripsModes: (lstatSync(path).mode & 0o777) !== DIRECTORY_MODE };
  }
}

/** Moves the restored root to `destination` without ever replacing something that appeared there. */
function claim(root: string, destination: string, target: string): void {
  const exists = (): never => {
    throw new NixCompatError(`cannot restore to '${target}': it already exists`);
  };
  if (lstatSync(root).isDirectory()) {
    // rename(2) would silently replace an empty directory, so take the name with mkdir first.
    try {
      mkdirSync(destination);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") exists();
      throw err;
    }
    try {
      renameSync(root, destination);
    } catch (err) {
      rmdirSync(destination);
      throw err;
    }
    return;
  }
  // A hard link (which does not follow a symlink) fails rather than replaces.
  try {
    linkSync(root, destination);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") exists();
    throw err;
  }
  unlinkSync(root);
}

/** Creates each node of the NAR as the reader reports it. */
class RestoringVisitor implements NarVisitor {
  private readonly open: Buffer[] = [];
  private nodePath: Buffer;
  private fd = -1;
  private readonly chmod: boolean;

  constructor(root: Buffer, chmod: boolean) {
    this.nodePath = root;
    this.chmod = chmod;
  }

  directory(): void {
    mkdirSync(this.nodePath, DIRECTORY_MODE);
    if (this.chmod) setMode(this.nodePath, DIRECTORY_MODE);
    this.open.push(this.nodePath);
  }

  entry(name: Buffer): void {
    this.nodePath = Buffer.concat([this.open[this.open.length - 1], SLASH, name]);
  }

  directoryEnd(): void {
    this.open.pop();
  }

  file(executable: boolean): void {
    const mode = executable ? EXECUTABLE_MODE : FILE_MODE;
    this.fd = openSync(this.nodePath, CREATE_FILE, mode);
    if (this.chmod) fchmodSync(this.fd, mode);
  }

  contents(chunk: Uint8Array): void {
    writeFully(this.fd, chunk);
  }

  fileEnd(): void {
    closeSync(this.fd);
    this.fd = -1;
  }

  symlink(target: Buffer): void {
    symlinkSync(target, this.nodePath);
  }

  /** Releases what an interrupted restore holds open. */
  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

const SLASH = Buffer.from("/");

function setMode(path: Buffer, mode: number): void {
  // A directory we just made: open it without following links and fix its mode.
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}
