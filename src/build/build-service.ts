// BuildService: runs one `tvix.build.v1.BuildRequest` — a command over castore inputs in a
// sandbox — and returns the castore nodes of its outputs. The request is the generated message
// itself (src/proto/gen/tvix/build/v1/build_pb.js): it is the contract between the glue (which
// makes requests from derivations), the coordinator (which sends them) and the builders.
import type { Node } from "../castore/node.ts";
import type { BuildRequest } from "../proto/gen/tvix/build/v1/build_pb.js";

export interface BuildOutput {
  /** The output's contents, anonymous (name ""), already in the store the build was given. */
  node: Node;
  /** Indices into the request's `refscanNeedles` found in this output. */
  needles: number[];
}

export interface BuildOptions {
  /** The build log (the builder's stdout and stderr), as it comes. */
  onLog?: (chunk: Uint8Array) => void;
  /** Aborts the build (the sandbox is killed, nothing is stored). */
  signal?: AbortSignal;
  /** Seconds of wall time before the build is killed (Nix's --timeout); 0 or absent: none. */
  timeoutSeconds?: number;
  /** Seconds without log output before the build is killed (Nix's --max-silent-time). */
  maxSilentSeconds?: number;
}

/** Why a build failed: the command's exit, a timeout, or the sandbox itself. */
export class BuildError extends Error {
  /** The last lines of the log, for the user. */
  readonly logTail: string;

  constructor(message: string, logTail = "", options?: ErrorOptions) {
    super(message, options);
    this.name = "BuildError";
    this.logTail = logTail;
  }
}

export interface BuildService {
  /** Runs the build; outputs are listed in the order of `request.outputs`. */
  doBuild(request: BuildRequest, options?: BuildOptions): Promise<BuildOutput[]>;
  close(): Promise<void>;
}
