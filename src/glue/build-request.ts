// Derivation → tvix.build.v1 BuildRequest: what Nix 2.8's sandboxed build (LocalDerivationGoal)
// would run, as a request any BuildService can carry out. Follows Tvix's mapping
// (glue/src/tvix_build.rs) where Snix fixed it: NIX_BUILD_TOP is /build, the inputs are the
// whole closure of the derivation's inputs, and output placeholders are replaced by the output
// paths. Beyond Tvix: structured attrs files, Nix's order of environment overrides,
// NIX_OUTPUT_CHECKED and impureEnvVars for fixed-output derivations.
import { availableParallelism } from "node:os";
import { create } from "@bufbuild/protobuf";
import { nodeToProto } from "../castore/proto.ts";
import { readBlob } from "../castore/blob-service.ts";
import { bytesToUtf8, compareBytes, decodeBytes, encodeBytes } from "../nix-compat/byte-string.ts";
import { parseAterm } from "../nix-compat/derivation/aterm-parse.ts";
import { type Derivation, derivationKind } from "../nix-compat/derivation/derivation.ts";
import { hashPlaceholder } from "../nix-compat/derivation/placeholder.ts";
import { hashBytes } from "../nix-compat/hash.ts";
import { DEFAULT_STORE_DIR, type StorePath, parseStorePath } from "../nix-compat/store-path.ts";
import { type BuildRequest, BuildRequestSchema } from "../proto/gen/tvix/build/v1/build_pb.js";
import { computeClosure } from "../store/closure.ts";
import type { Store } from "../store/composition.ts";
import { attrsJson, attrsSh, structuredAttrs } from "./structured-attrs.ts";

/** Where the build runs, inside the sandbox (Nix's `sandbox-build-dir`). */
export const BUILD_DIR = "/build";

export interface BuildRequestOptions {
  /** NIX_BUILD_CORES (Nix's `cores` setting; 0 means all). Default: the CPUs here, as Nix's default. */
  buildCores?: number;
  /**
   * Whether the sandbox has `/bin/sh`. Nix 2.8 gives it only when its `sandbox-paths` say so
   * (`/bin/sh=…` where Nix was built with a sandbox shell; Debian's Nix has none). Default false.
   */
  provideBinSh?: boolean;
  /** Where a fixed-output derivation's `impureEnvVars` take their values from (default: this process's environment). */
  impureEnvironment?: Readonly<Record<string, string | undefined>>;
  /** A derivation by its .drv path, when the caller has it (else it is read from the store). */
  readDerivation?: (drvPath: string) => Derivation | undefined;
  storeDir?: string;
}

export class BuildRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BuildRequestError";
  }
}

/** The output paths of `drv`, by output name; an output without a path cannot be built here yet. */
export function outputPaths(drvPath: string, drv: Derivation): Map<string, string> {
  const paths = new Map<string, string>();
  for (const [name, output] of drv.outputs) {
    if (output.kind !== "inputAddressed" && output.kind !== "fixed") {
      throw new BuildRequestError(`cannot build '${drvPath}': its output '${name}' is ${output.kind} (content-addressed and impure derivations are not supported yet)`);
    }
    paths.set(name, output.path);
  }
  return paths;
}

/** Builds the request for `drv` (at `drvPath`); every input must be in `store`. */
export async function buildRequestFor(drvPath: string, drv: Derivation, store: Store, options: BuildRequestOptions = {}): Promise<BuildRequest> {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const fixedOutput = derivationKind(drv) === "fixed";
  const outputs = outputPaths(drvPath, drv);
  // Nix's inputRewrites: placeholders of this derivation's outputs become their paths. Each
  // placeholder is a sha256, so it is computed once, not for every string rewritten.
  const rewrites = [...outputs].map(([name, path]) => [hashPlaceholder(name), path] as const);
  const rewrite = (s: string): string => {
    for (const [placeholder, path] of rewrites) s = s.replaceAll(placeholder, path);
    return s;
  };

  const roots: StorePath[] = drv.inputSrcs.map((path) => parseStorePath(path, storeDir));
  for (const [inputDrvPath, outputNames] of drv.inputDrvs) {
    const inputDrv = options.readDerivation?.(inputDrvPath) ?? (await readDerivationFromStore(store, inputDrvPath, storeDir));
    const inputOutputs = outputPaths(inputDrvPath, inputDrv);
    for (const name of outputNames) {
      const path = inputOutputs.get(name);
      if (path === undefined) throw new BuildRequestError(`derivation '${inputDrvPath}' has no output '${name}', which '${drvPath}' uses`);
      roots.push(parseStorePath(path, storeDir));
    }
  }
  const closure = await computeClosure(store.pathInfos, roots);
  const inputs = closure.map((info) => ({ ...info.node, name: info.storePath.baseName })).sort((a, b) => compareBytes(a.name, b.name));

  const { env, files } = buildEnvironment(drv, outputs, fixedOutput, options);
  const outputList = [...outputs.values()].sort(compareBytes);
  return create(BuildRequestSchema, {
    inputs: inputs.map(nodeToProto),
    commandArgs: [drv.builder, ...drv.args.map(rewrite)].map(bytesToUtf8),
    workingDir: BUILD_DIR.slice(1),
    scratchPaths: [BUILD_DIR.slice(1), storeDir.slice(1)].sort(),
    inputsDir: storeDir.slice(1),
    outputs: outputList.map((path) => path.slice(1)),
    environmentVars: [...env]
      .map(([key, value]) => [rewrite(key), rewrite(value)] as const)
      .sort((a, b) => compareBytes(a[0], b[0]))
      .map(([key, value]) => ({ key: bytesToUtf8(key), value: encodeBytes(value) })),
    constraints: {
      system: drv.system,
      networkAccess: fixedOutput,
      provideBinSh: options.provideBinSh ?? false,
    },
    additionalFiles: [...files]
      .sort((a, b) => compareBytes(a[0], b[0]))
      .map(([path, contents]) => ({ path: `${BUILD_DIR.slice(1)}/${path}`, contents: encodeBytes(rewrite(contents)) })),
    refscanNeedles: [...outputList, ...inputs.map((input) => `${storeDir}/${input.name}`)].map((path) => parseStorePath(path, storeDir).hashPart),
  });
}

/**
 * The builder's environment and the files of its build directory (name → contents), in the
 * order Nix 2.8 sets them, each step overriding the one before: initEnv's defaults, the
 * derivation's env (unless structured), the build directory variables, NIX_OUTPUT_CHECKED and
 * impureEnvVars for fixed-output derivations, NIX_LOG_FD and TERM, the structured attrs files.
 */
function buildEnvironment(
  drv: Derivation,
  outputs: ReadonlyMap<string, string>,
  fixedOutput: boolean,
  options: BuildRequestOptions,
): { env: Map<string, string>; files: Map<string, string> } {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const env = new Map<string, string>([
    ["PATH", "/path-not-set"],
    ["HOME", "/homeless-shelter"],
    ["NIX_STORE", storeDir],
    ["NIX_BUILD_CORES", String(options.buildCores ?? availableParallelism())],
  ]);
  const files = new Map<string, string>();
  const json = drv.env.get("__json");
  if (drv.env.has("exportReferencesGraph") || (json !== undefined && structuredAttrs(json, new Map()).has("exportReferencesGraph"))) {
    throw new BuildRequestError("'exportReferencesGraph' is not supported yet");
  }
  if (json === undefined) {
    const passAsFile = new Set(tokenize(drv.env.get("passAsFile") ?? ""));
    for (const [key, value] of drv.env) {
      if (!passAsFile.has(key)) {
        env.set(key, value);
        continue;
      }
      const file = `.attr-${hashBytes("sha256", key).encode("nix32")}`;
      files.set(file, value);
      env.set(`${key}Path`, `${BUILD_DIR}/${file}`);
    }
  }
  for (const key of ["NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP", "TEMP", "PWD"]) env.set(key, BUILD_DIR);
  if (fixedOutput) {
    env.set("NIX_OUTPUT_CHECKED", "1");
    const host = options.impureEnvironment ?? process.env;
    for (const key of impureEnvVars(drv, json)) env.set(key, host[key] ?? "");
  }
  env.set("NIX_LOG_FD", "2");
  env.set("TERM", "xterm-256color");
  if (json !== undefined) {
    const attrs = structuredAttrs(json, outputs);
    files.set(".attrs.sh", attrsSh(attrs));
    files.set(".attrs.json", attrsJson(attrs));
    // Nix 2.8 points these at the build directory as the host sees it (a path that does not
    // exist inside its sandbox, a bug later Nix fixed); here they point where the files are.
    env.set("NIX_ATTRS_SH_FILE", `${BUILD_DIR}/.attrs.sh`);
    env.set("NIX_ATTRS_JSON_FILE", `${BUILD_DIR}/.attrs.json`);
  }
  return { env, files };
}

/** Nix's tokenizeString: words between spaces, tabs and newlines. */
function tokenize(s: string): string[] {
  return s.split(/[ \t\n\r]+/).filter((word) => word !== "");
}

/** Nix's getStringsAttr("impureEnvVars"): a list in structured attrs, else words of the env value. */
function impureEnvVars(drv: Derivation, json: string | undefined): string[] {
  if (json === undefined) return tokenize(drv.env.get("impureEnvVars") ?? "");
  const value = structuredAttrs(json, new Map()).get("impureEnvVars");
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new BuildRequestError("attribute 'impureEnvVars' of derivation must be a list of strings");
  }
  return value as string[];
}

/** A derivation from its .drv file in the store. */
export async function readDerivationFromStore(store: Store, drvPath: string, storeDir: string = DEFAULT_STORE_DIR): Promise<Derivation> {
  const info = await store.pathInfos.get(parseStorePath(drvPath, storeDir).digest);
  const contents = info?.node.kind === "file" ? await readBlob(store.blobs, info.node.digest) : undefined;
  if (contents === undefined) throw new BuildRequestError(`derivation '${drvPath}' is not in the store`);
  return parseAterm(contents);
}

/** The store path each refscan needle of `request` stands for (outputs, then inputs). */
export function needlePaths(request: BuildRequest, storeDir: string = DEFAULT_STORE_DIR): string[] {
  return [...request.outputs.map((output) => `/${output}`), ...request.inputs.map((input) => `${storeDir}/${decodeBytes(nodeName(input))}`)];
}

function nodeName(node: BuildRequest["inputs"][number]): Uint8Array {
  const inner = node.node;
  if (inner.case === undefined) throw new BuildRequestError("a build request input has no node");
  return inner.value.name;
}
