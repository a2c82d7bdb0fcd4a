// The bundle of one build: `<bundleRoot>/<uuid>/` with config.json and `scratch/<i>/` for each
// scratch path (owned by the build user, holding the additional files, and afterwards the
// outputs). The container's read-only root (only /etc's user, group and host files) is shared
// with builds that need the same one (RootCache). Inputs are not copied in: directories and
// files are bind-mounted from the InputCache, and a symlink input (a bind mount would follow it
// on the host) is made as a symlink where it goes.
import { chownSync, existsSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Node } from "../../castore/node.ts";
import type { BuildRequest } from "../../proto/gen/tvix/build/v1/build_pb.js";
import { BuildError } from "../build-service.ts";
import { containingScratchPath } from "../request.ts";
import type { InputCache } from "./input-cache.ts";
import type { RootCache } from "./root-cache.ts";
import { BUILD_GID, BUILD_UID, type Mount, readOnlyBind, runtimeSpec, writableBind } from "./spec.ts";

/** Host files a build with network access sees, as in Nix's fixed-output builds. */
const NETWORK_FILES = ["/etc/resolv.conf", "/etc/services", "/etc/hosts"];

export interface BundleOptions {
  inputs: Node[];
  inputCache: InputCache;
  rootCache: RootCache;
  /** Host path of the shell mounted at /bin/sh when the request asks for one. */
  sandboxShell?: string;
}

export class Bundle {
  readonly path: string;
  readonly request: BuildRequest;

  constructor(path: string, request: BuildRequest) {
    this.path = path;
    this.request = request;
  }

  /** Where on the host the sandbox path `/<path>`, inside a scratch path, is. */
  hostPath(path: string): string {
    const scratch = containingScratchPath(this.request, path)!;
    const index = this.request.scratchPaths.indexOf(scratch);
    return join(this.path, "scratch", String(index), path.slice(scratch.length));
  }

  /** Creates the bundle's directories, files and config.json; inputs are rendered as needed. */
  async create(options: BundleOptions): Promise<void> {
    const { request } = this;
    const inScratch = (path: string): boolean => containingScratchPath(request, path.slice(1)) !== undefined;
    // Scratch mounts come first: runc makes the mount points of inputs below them (nix/store/…)
    // in the scratch directory, which must be in place by then.
    const mounts: Mount[] = [];
    request.scratchPaths.forEach((path, index) => {
      const source = join(this.path, "scratch", String(index));
      mkdirSync(source, { recursive: true });
      chownSync(source, BUILD_UID, BUILD_GID);
      mounts.push(writableBind(source, `/${path}`));
    });
    for (const file of request.additionalFiles) this.writeBuildUserFile(file.path, file.contents);

    const rootSymlinks: [string, string][] = [];
    const sources = await Promise.all(options.inputs.map((input) => (input.kind === "symlink" ? undefined : options.inputCache.path(input))));
    options.inputs.forEach((input, i) => {
      const path = `/${request.inputsDir}/${input.name}`;
      const source = sources[i];
      if (source !== undefined) {
        mounts.push(readOnlyBind(source, path));
        return;
      }
      if (input.kind !== "symlink") return;
      if (!inScratch(path)) {
        rootSymlinks.push([path, input.target]);
        return;
      }
      const host = this.hostPath(path.slice(1));
      mkdirSync(dirname(host), { recursive: true });
      symlinkSync(Buffer.from(input.target, "latin1"), host);
    });

    for (const path of request.constraints?.availableRoPaths ?? []) {
      if (!existsSync(path)) throw new BuildError(`the read-only path '${path}' the build asks for does not exist on this builder`);
      mounts.push(readOnlyBind(path, path));
    }
    if (request.constraints?.networkAccess) {
      for (const file of NETWORK_FILES) if (existsSync(file)) mounts.push(readOnlyBind(file, file));
    }
    if (request.constraints?.provideBinSh) {
      if (options.sandboxShell === undefined || !lstatSync(options.sandboxShell, { throwIfNoEntry: false })?.isFile()) {
        throw new BuildError(`the build asks for /bin/sh, but the sandbox shell '${options.sandboxShell ?? ""}' is not a file (set TVIX_BUILD_SANDBOX_SHELL)`);
      }
      mounts.push(readOnlyBind(options.sandboxShell, "/bin/sh"));
    }
    const root = options.rootCache.path({
      workingDir: `/${request.workingDir}`,
      // Scratch paths' own mount points are in the root too; what goes inside them is not.
      mountPoints: mounts.map((mount) => mount.destination).filter((destination) => !inScratch(destination) || request.scratchPaths.includes(destination.slice(1))),
      symlinks: rootSymlinks,
    });
    writeFileSync(join(this.path, "config.json"), JSON.stringify(runtimeSpec(request, mounts, root)));
  }

  /** Writes a file into a scratch directory, owned by the build user as Nix does. */
  private writeBuildUserFile(path: string, contents: Uint8Array): void {
    const host = this.hostPath(path);
    const scratch = this.hostPath(containingScratchPath(this.request, path)!);
    mkdirSync(dirname(host), { recursive: true });
    for (let dir = dirname(host); dir.length > scratch.length; dir = dirname(dir)) chownSync(dir, BUILD_UID, BUILD_GID);
    writeFileSync(host, contents, { mode: 0o644 });
    chownSync(host, BUILD_UID, BUILD_GID);
  }
}
