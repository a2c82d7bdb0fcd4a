// The BuildRequest of a derivation: checked against the environment and files a real Nix 2.8
// sandboxed build had (testdata/, from `nix-build --option sandbox true`), and for the inputs
// closure, needles, fixed-output settings and placeholders.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { putBlob } from "../castore/blob-service.ts";
import { CastoreError } from "../castore/errors.ts";
import { nodeFromProto } from "../castore/proto.ts";
import { decodeBytes } from "../nix-compat/byte-string.ts";
import { parseAterm } from "../nix-compat/derivation/aterm-parse.ts";
import type { Derivation } from "../nix-compat/derivation/derivation.ts";
import { hashPlaceholder } from "../nix-compat/derivation/placeholder.ts";
import { parseHash } from "../nix-compat/hash.ts";
import { parseStorePath } from "../nix-compat/store-path.ts";
import type { BuildRequest } from "../proto/gen/tvix/build/v1/build_pb.js";
import { openStore, type Store } from "../store/composition.ts";
import { BuildRequestError, buildRequestFor, needlePaths } from "./build-request.ts";

const testdata = (name: string): Buffer => readFileSync(new URL(`testdata/${name}`, import.meta.url));
const BB = "/nix/store/d0x4sjwksanirbaxlb05009gy5lvia3q-bb";

/** A store path that exists in `store`, referring to `references`. */
async function addPath(store: Store, path: string, references: string[] = []): Promise<void> {
  const contents = Buffer.from(path);
  const digest = await putBlob(store.blobs, contents);
  await store.pathInfos.put({
    storePath: parseStorePath(path),
    node: { kind: "file", name: "", digest, size: contents.length, executable: false },
    references: references.map((ref) => parseStorePath(ref)),
    narSize: 0,
    narSha256: new Uint8Array(32),
    signatures: [],
  });
}

function envLines(request: BuildRequest): string[] {
  return request.environmentVars.map((v) => `${v.key}=${decodeBytes(v.value)}`);
}

function files(request: BuildRequest): Record<string, string> {
  return Object.fromEntries(request.additionalFiles.map((f) => [f.path, decodeBytes(f.contents)]));
}

function derivation(fields: Partial<Derivation>): Derivation {
  return { outputs: new Map(), inputDrvs: new Map(), inputSrcs: [], system: "x86_64-linux", builder: "/bin/sh", args: [], env: new Map(), ...fields };
}

const path = (c: string, name: string): string => `/nix/store/${c.repeat(32)}-${name}`;

test("passAsFile: Nix 2.8's environment, files and the rest of the request", async () => {
  const store = await openStore("memory://");
  await addPath(store, BB);
  const drv = parseAterm(testdata("pass-as-file.drv"));
  const request = await buildRequestFor("/nix/store/ds3dcm2gv4w8g3qgdmwvv2f18w5kwg8f-paf.drv", drv, store, { buildCores: 2 });
  assert.deepEqual(envLines(request), decodeBytes(testdata("pass-as-file.env")).trimEnd().split("\n"));
  assert.deepEqual(files(request), {
    "build/.attr-1lf969yddshzhld7sr1vbagr07bnygg99lgl6gk5kxcnp4z9wbcq": "hello\nworld",
    "build/.attr-1yng5xdkybsglm9mszm44zpkq3qvcjn5vn2bvhvmhwxhs488lafr": "x",
  });
  assert.deepEqual(request.commandArgs, [drv.builder, ...drv.args]);
  assert.deepEqual(request.outputs, ["nix/store/k03vqcpkshwqhba2hhbyzkknxfbn86aw-paf"]);
  assert.equal(request.workingDir, "build");
  assert.equal(request.inputsDir, "nix/store");
  assert.deepEqual(request.scratchPaths, ["build", "nix/store"]);
  assert.deepEqual(request.inputs.map((node) => nodeFromProto(node).name), ["d0x4sjwksanirbaxlb05009gy5lvia3q-bb"]);
  assert.deepEqual(request.refscanNeedles, ["k03vqcpkshwqhba2hhbyzkknxfbn86aw", "d0x4sjwksanirbaxlb05009gy5lvia3q"]);
  assert.equal(request.constraints?.system, "x86_64-linux");
  assert.equal(request.constraints?.networkAccess, false);
  assert.equal(request.constraints?.provideBinSh, false);
  await store.close();
});

test("structured attrs: no derivation env, the .attrs files, NIX_ATTRS_* where the files are", async () => {
  const store = await openStore("memory://");
  await addPath(store, BB);
  const drv = parseAterm(testdata("structured-attrs.drv"));
  const request = await buildRequestFor("/nix/store/dgk6nws45ykd2mjrmxsfkvayi9lnhkzq-sa.drv", drv, store, { buildCores: 2 });
  const nixEnv = decodeBytes(testdata("structured-attrs.env")).trimEnd().split("\n");
  // Nix 2.8 points these at its host-side temporary directory (not visible in its sandbox).
  const expected = nixEnv.map((line) => line.replace(/^(NIX_ATTRS_\w+_FILE)=\/tmp\/nix-build-sa\.drv-0\//, "$1=/build/"));
  assert.deepEqual(envLines(request), expected);
  assert.deepEqual(files(request), {
    "build/.attrs.json": decodeBytes(testdata("structured-attrs.attrs.json")),
    "build/.attrs.sh": decodeBytes(testdata("structured-attrs.attrs.sh")),
  });
  assert.equal(request.outputs.length, 2);
  await store.close();
});

test("inputs: the closure of the sources and of the used outputs of input derivations, needles outputs first", async () => {
  const store = await openStore("memory://");
  const [lib, libDev, dep, src, unused] = [path("l", "lib"), path("m", "lib-dev"), path("d", "dep"), path("s", "src"), path("w", "unused")];
  await addPath(store, dep);
  await addPath(store, lib, [lib, dep]);
  await addPath(store, src);
  await addPath(store, unused);
  const libDrv = derivation({ outputs: new Map([["out", { kind: "inputAddressed", path: lib }], ["dev", { kind: "inputAddressed", path: libDev }]]) });
  const out = path("p", "top");
  const top = derivation({
    outputs: new Map([["out", { kind: "inputAddressed", path: out }]]),
    inputDrvs: new Map([[path("x", "lib.drv"), ["out"]]]),
    inputSrcs: [src],
    env: new Map([["out", out], ["self", `${hashPlaceholder("out")}/bin`]]),
    args: ["-c", `echo ${hashPlaceholder("out")}`],
  });
  const request = await buildRequestFor(path("q", "top.drv"), top, store, { readDerivation: (p) => (p === path("x", "lib.drv") ? libDrv : undefined) });
  assert.deepEqual(request.inputs.map((node) => nodeFromProto(node).name), [dep, lib, src].map((p) => p.slice("/nix/store/".length)));
  assert.deepEqual(needlePaths(request), [out, dep, lib, src]);
  assert.deepEqual(request.refscanNeedles, ["p", "d", "l", "s"].map((c) => c.repeat(32)));
  assert.deepEqual(request.commandArgs, ["/bin/sh", "-c", `echo ${out}`]);
  assert.ok(envLines(request).includes(`self=${out}/bin`));
  assert.equal(request.constraints?.networkAccess, false);

  // An input the store lacks is a clear error.
  const missing = derivation({ outputs: top.outputs, inputSrcs: [path("z", "missing")] });
  await assert.rejects(buildRequestFor(path("q", "top.drv"), missing, store), (err: Error) => err instanceof CastoreError && /zzzz.*-missing' is not in the store/.test(err.message));
  // So is an input derivation that is not there to say what its outputs are.
  await assert.rejects(buildRequestFor(path("q", "top.drv"), top, store), /derivation '.*-lib\.drv' is not in the store/);
  await store.close();
});

test("fixed-output derivations: network, NIX_OUTPUT_CHECKED, impureEnvVars from the caller's environment", async () => {
  const store = await openStore("memory://");
  const out = path("f", "fetched");
  const drv = derivation({
    outputs: new Map([["out", { kind: "fixed", path: out, hash: { method: "flat", hash: parseHash("sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=") } }]]),
    env: new Map([["impureEnvVars", "http_proxy NOT_SET"], ["TERM", "dumb"], ["PATH", "/mine"], ["TMPDIR", "/mine"]]),
  });
  const request = await buildRequestFor(path("q", "fetched.drv"), drv, store, { impureEnvironment: { http_proxy: "http://proxy:3128" }, provideBinSh: true });
  const env = envLines(request);
  assert.ok(env.includes("NIX_OUTPUT_CHECKED=1"));
  assert.ok(env.includes("http_proxy=http://proxy:3128"));
  assert.ok(env.includes("NOT_SET="));
  // The derivation overrides initEnv's PATH, but not TMPDIR or TERM, which Nix sets after it.
  assert.ok(env.includes("PATH=/mine") && env.includes("TMPDIR=/build") && env.includes("TERM=xterm-256color"));
  assert.deepEqual(env, [...env].sort());
  assert.equal(request.constraints?.networkAccess, true);
  assert.equal(request.constraints?.provideBinSh, true);
  await store.close();
});

test("what cannot be built faithfully yet is refused: unknown output paths (content-addressed), exportReferencesGraph", async () => {
  const store = await openStore("memory://");
  const drv = derivation({ outputs: new Map([["out", { kind: "floating", method: "recursive", hashAlgo: "sha256" }]]) });
  await assert.rejects(buildRequestFor(path("q", "ca.drv"), drv, store), (err: Error) => err instanceof BuildRequestError && /output 'out' is floating/.test(err.message));
  const outputs = new Map([["out", { kind: "inputAddressed" as const, path: path("p", "x") }]]);
  for (const env of [new Map([["exportReferencesGraph", "graph /nix/store/x"]]), new Map([["__json", '{"exportReferencesGraph":{"g":["/nix/store/x"]}}']])]) {
    await assert.rejects(buildRequestFor(path("q", "x.drv"), derivation({ outputs, env }), store), /'exportReferencesGraph' is not supported yet/);
  }
  await store.close();
});
