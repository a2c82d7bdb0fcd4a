// The read-only roots of containers, made once per service for each kind of root and shared by
// the builds that need one like it, instead of a root made and removed for every build (a
// handful of directory writes each, twice, on every build). A root holds /etc's user, group and
// host files, the mount points runc makes in it, and symlink inputs placed outside scratch
// paths; what it must hold is the key, so a build never sees a mount point or symlink that
// another build asked for. Builds cannot write to it (it is mounted read-only), and runc only
// ever adds the mount points the key names, so sharing it — even between running builds — is safe.
import { randomUUID } from "node:crypto";
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { BUILD_GID, BUILD_UID } from "./spec.ts";

// As in Nix's sandbox: the build user's home is the build directory, and nobody has a shell.
const PASSWD = (home: string): string =>
  `root:x:0:0:Nix build user:${home}:/noshell\nnixbld:x:${BUILD_UID}:${BUILD_GID}:Nix build user:${home}:/noshell\nnobody:x:65534:65534:Nobody:/:/noshell\n`;
const GROUP = `root:x:0:\nnixbld:!:${BUILD_GID}:\nnogroup:x:65534:\n`;
const HOSTS = "127.0.0.1 localhost\n::1 localhost\n";

/** What a root must hold: paths are absolute, inside the container. */
export interface RootShape {
  /** The build directory: the build user's home. */
  workingDir: string;
  /** Destinations of the mounts outside scratch paths (runc makes their mount points in the root). */
  mountPoints: string[];
  /** Symlinks made in the root: path, target (bytes as latin1). */
  symlinks: [string, string][];
}

export class RootCache {
  private readonly directory: string;
  private readonly roots = new Map<string, string>();

  /** Roots are made in a directory of this cache's own in `parent`, removed when it closes. */
  constructor(parent: string) {
    this.directory = join(parent, `roots-${randomUUID()}`);
    mkdirSync(this.directory, { recursive: true, mode: 0o755 });
  }

  /** The host path of a root of `shape`, made on first use. */
  path(shape: RootShape): string {
    const key = JSON.stringify([shape.workingDir, [...shape.mountPoints].sort(), [...shape.symlinks].sort()]);
    let root = this.roots.get(key);
    if (root === undefined) {
      root = join(this.directory, `root-${this.roots.size}`);
      try {
        makeRoot(root, shape);
      } catch (err) {
        rmSync(root, { recursive: true, force: true });
        throw err;
      }
      this.roots.set(key, root);
    }
    return root;
  }

  close(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}

function makeRoot(root: string, shape: RootShape): void {
  mkdirSync(join(root, "etc"), { recursive: true });
  // runc gives a tmpfs the mode of the directory it is mounted on, once that exists: as the
  // first build leaves it, /tmp would be 0755 for the next, so it is made as /tmp is (1777).
  mkdirSync(join(root, "tmp"));
  chmodSync(join(root, "tmp"), 0o1777);
  writeFileSync(join(root, "etc", "passwd"), PASSWD(shape.workingDir));
  writeFileSync(join(root, "etc", "group"), GROUP);
  writeFileSync(join(root, "etc", "hosts"), HOSTS);
  for (const [path, target] of shape.symlinks) {
    const host = join(root, path);
    mkdirSync(dirname(host), { recursive: true });
    symlinkSync(Buffer.from(target, "latin1"), host);
  }
}
