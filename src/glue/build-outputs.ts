// A finished build's outputs (castore nodes and the refscan needles found in each) → the
// PathInfos to put, as Nix 2.8's registerOutputs makes them: references are the store paths
// whose hash parts were found (an output may refer to itself and to its siblings), NAR hash and
// size, the .drv as deriver, and for a fixed-output derivation its content address — after the
// output was hashed as declared and found equal. Anything wrong with any output means no
// PathInfo at all: the caller stores nothing.
import { fileContents } from "../castore/fs/render.ts";
import type { BuildOutput } from "../build/build-service.ts";
import type { Derivation } from "../nix-compat/derivation/derivation.ts";
import { type Hash, Hasher } from "../nix-compat/hash.ts";
import { DEFAULT_STORE_DIR, parseStorePath } from "../nix-compat/store-path.ts";
import type { BuildRequest } from "../proto/gen/tvix/build/v1/build_pb.js";
import type { Store } from "../store/composition.ts";
import { hashNar } from "../store/nar/render.ts";
import type { PathInfo } from "../store/path-info.ts";
import { needlePaths } from "./build-request.ts";

/** An output that does not satisfy its derivation: Nix's BuildError text. */
export class OutputCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutputCheckError";
  }
}

/**
 * The PathInfos of the outputs of `drv` (at `drvPath`), built from `request` (made by
 * buildRequestFor); `outputs` are the BuildService's answer, in `request.outputs` order, their
 * contents already in `store`. Throws OutputCheckError for a fixed output that does not match.
 */
export async function outputPathInfos(
  drvPath: string,
  drv: Derivation,
  request: BuildRequest,
  outputs: readonly BuildOutput[],
  store: Store,
  storeDir: string = DEFAULT_STORE_DIR,
): Promise<PathInfo[]> {
  if (outputs.length !== request.outputs.length) {
    throw new OutputCheckError(`the builder returned ${outputs.length} outputs for the ${request.outputs.length} of '${drvPath}'`);
  }
  const needles = needlePaths(request, storeDir);
  const deriver = parseStorePath(drvPath, storeDir);
  const fixed = drv.outputs.get("out");
  return Promise.all(
    outputs.map(async (output, i) => {
      const path = `/${request.outputs[i]}`;
      const storePath = parseStorePath(path, storeDir);
      const references = [...new Set(output.needles.map((needle) => {
        const reference = needles[needle];
        if (reference === undefined) throw new OutputCheckError(`the builder reported needle ${needle} of ${needles.length} for '${path}'`);
        return reference;
      }))].sort();
      const fixedHash = fixed?.kind === "fixed" && fixed.path === path ? fixed.hash : undefined;
      const algos = fixedHash?.method === "recursive" && fixedHash.hash.algo !== "sha256" ? (["sha256", fixedHash.hash.algo] as const) : (["sha256"] as const);
      const { narSize, hashes } = await hashNar(output.node, store.blobs, store.directories, algos);
      const info: PathInfo = {
        storePath,
        node: output.node,
        references: references.map((reference) => parseStorePath(reference, storeDir)),
        narSize,
        narSha256: new Uint8Array(hashes[0].digest),
        signatures: [],
        deriver,
      };
      if (fixedHash === undefined) return info;
      if (fixedHash.method === "flat" && (output.node.kind !== "file" || output.node.executable)) {
        throw new OutputCheckError(`output path '${path}' should be a non-executable regular file since recursive hashing is not enabled (outputHashMode=flat)`);
      }
      const got = fixedHash.method === "recursive" ? hashes.at(-1)! : await flatHash(output, store, fixedHash.hash, path);
      if (!got.equals(fixedHash.hash)) {
        throw new OutputCheckError(`hash mismatch in fixed-output derivation '${drvPath}':\n  specified: ${fixedHash.hash.toSri()}\n     got:    ${got.toSri()}`);
      }
      // Nix 2.8 would move such an output to another path (or fail an assertion): refuse it.
      if (references.length > 0) {
        throw new OutputCheckError(`fixed-output derivation '${drvPath}' produced '${path}', which refers to ${references.map((r) => `'${r}'`).join(", ")}; fixed outputs cannot have references`);
      }
      return { ...info, ca: { method: fixedHash.method, hash: got } };
    }),
  );
}

/** The hash of a flat output's contents, with the algorithm of `wanted`. */
async function flatHash(output: BuildOutput, store: Store, wanted: Hash, path: string): Promise<Hash> {
  if (output.node.kind !== "file") throw new OutputCheckError(`output path '${path}' is not a regular file`);
  const hasher = new Hasher(wanted.algo);
  for await (const chunk of fileContents(store.blobs, output.node, path)) hasher.update(chunk);
  return hasher.finish();
}
