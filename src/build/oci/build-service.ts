// The local builder: each BuildRequest runs in a runc container made from a fresh bundle, and its
// outputs are ingested into the store (scanned for the request's needles on the way). Builds are
// independent — a bundle and a container id of their own, inputs shared read-only — so several
// may run at once; the caller decides how many.
import { randomUUID } from "node:crypto";
import { lstatSync, mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BuildRequest } from "../../proto/gen/tvix/build/v1/build_pb.js";
import type { Store } from "../../store/composition.ts";
import { BuildError, type BuildOptions, type BuildOutput, type BuildService } from "../build-service.ts";
import { ingestScanning } from "../refscan.ts";
import { checkBuildRequest } from "../request.ts";
import { Bundle } from "./bundle.ts";
import { InputCache } from "./input-cache.ts";
import { RootCache } from "./root-cache.ts";
import { RUNC, runContainer } from "./runc.ts";

export interface OciBuildServiceOptions {
  /** Where bundles (and the rendered inputs) live while builds run. */
  bundleRoot: string;
  /** The shell bind-mounted at /bin/sh for builds that ask for it (a static one: busybox). */
  sandboxShell?: string;
}

/** Systems this host runs natively, as Nix names them. */
function hostSystems(): string[] {
  switch (process.arch) {
    case "x64":
      return ["x86_64-linux", "i686-linux"];
    case "arm64":
      return ["aarch64-linux"];
    default:
      return [`${process.arch}-linux`];
  }
}

export class OciBuildService implements BuildService {
  private readonly store: Store;
  private readonly bundleRoot: string;
  private readonly sandboxShell: string | undefined;
  private readonly inputCache: InputCache;
  private readonly rootCache: RootCache;

  constructor(store: Store, options: OciBuildServiceOptions) {
    this.store = store;
    this.bundleRoot = options.bundleRoot;
    this.sandboxShell = options.sandboxShell ?? process.env.TVIX_BUILD_SANDBOX_SHELL ?? (existsSync("/bin/busybox") ? "/bin/busybox" : undefined);
    mkdirSync(this.bundleRoot, { recursive: true, mode: 0o700 });
    this.inputCache = new InputCache(store, this.bundleRoot);
    this.rootCache = new RootCache(this.bundleRoot);
  }

  async doBuild(request: BuildRequest, options: BuildOptions = {}): Promise<BuildOutput[]> {
    const { inputs } = checkBuildRequest(request);
    const system = request.constraints?.system;
    if (system !== undefined && !hostSystems().includes(system)) {
      throw new BuildError(`a '${system}' build cannot run here: this builder runs ${hostSystems().join(", ")}`);
    }
    if (options.signal?.aborted) throw new BuildError("build was aborted");
    const id = randomUUID();
    const bundle = new Bundle(join(this.bundleRoot, id), request);
    try {
      mkdirSync(bundle.path, { mode: 0o700 });
      await bundle.create({ inputs, inputCache: this.inputCache, rootCache: this.rootCache, sandboxShell: this.sandboxShell });
      const result = await runContainer(bundle.path, `tvix-${id}`, options).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") throw new BuildError(`cannot run the OCI runtime '${RUNC}': it is not installed (install runc)`, "", { cause: err });
        throw err;
      });
      if (result.killedBecause !== undefined) throw new BuildError(result.killedBecause, result.logTail);
      if (result.exitCode !== 0) throw new BuildError(`build failed with exit code ${result.exitCode}`, result.logTail);
      const outputs: BuildOutput[] = [];
      for (const output of request.outputs) {
        const path = bundle.hostPath(output);
        if (!lstatSync(path, { throwIfNoEntry: false })) throw new BuildError(`builder failed to produce output path '/${output}'`, result.logTail);
        try {
          outputs.push(await ingestScanning(path, this.store.blobs, this.store.directories, request.refscanNeedles));
        } catch (err) {
          throw new BuildError(`output '/${output}' cannot be stored: ${(err as Error).message}`, result.logTail, { cause: err });
        }
        // Kept as the input of later builds rather than deleted and rendered again.
        this.inputCache.adopt(outputs.at(-1)!.node, path);
      }
      return outputs;
    } finally {
      // Asynchronously: other builds go on meanwhile.
      await rm(bundle.path, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    this.inputCache.close();
    this.rootCache.close();
  }
}
