import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import type { BuildOutput } from "../build/build-service.ts";
import { ingestPath } from "../castore/fs/ingest.ts";
import { nodeToProto } from "../castore/proto.ts";
import type { Derivation, DerivationOutput } from "../nix-compat/derivation/derivation.ts";
import { hashBytes, parseHash } from "../nix-compat/hash.ts";
import { narHash } from "../nix-compat/nar/writer.ts";
import { BuildRequestSchema } from "../proto/gen/tvix/build/v1/build_pb.js";
import { openStore } from "../store/composition.ts";
import { OutputCheckError, outputPathInfos } from "./build-outputs.ts";

const dir = mkdtempSync(join(tmpdir(), "build-outputs-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const store = await openStore("memory://");
after(() => store.close());

const path = (c: string, name: string): string => `/nix/store/${c.repeat(32)}-${name}`;
const DRV = path("d", "x.drv");
const DEP = path("1", "dep");

function drvWith(outputs: [string, DerivationOutput][]): Derivation {
  return { outputs: new Map(outputs), inputDrvs: new Map(), inputSrcs: [DEP], system: "x86_64-linux", builder: "/bin/sh", args: [], env: new Map() };
}

/** A request with these outputs and the input DEP; needles: outputs then DEP. */
function requestFor(outputPaths: string[]) {
  const depNode = { kind: "symlink" as const, name: DEP.slice("/nix/store/".length), target: "x" };
  return create(BuildRequestSchema, {
    outputs: outputPaths.map((p) => p.slice(1)),
    inputs: [nodeToProto(depNode)],
    refscanNeedles: [...outputPaths, DEP].map((p) => p.slice("/nix/store/".length, "/nix/store/".length + 32)),
  });
}

async function output(name: string, write: (path: string) => void, needles: number[] = []): Promise<BuildOutput> {
  const local = join(dir, name);
  write(local);
  return { node: await ingestPath(local, store.blobs, store.directories), needles };
}

test("outputs: references from the needles (self and siblings included), NAR hash and size, deriver", async () => {
  const [out, dev] = [path("a", "x"), path("b", "x-dev")];
  const outNode = await output("out", (p) => {
    mkdirSync(p);
    writeFileSync(join(p, "f"), `${out} ${dev} ${DEP}`);
  }, [2, 0, 1, 0]);
  const devNode = await output("dev", (p) => writeFileSync(p, "nothing"));
  const drv = drvWith([["out", { kind: "inputAddressed", path: out }], ["dev", { kind: "inputAddressed", path: dev }]]);
  const infos = await outputPathInfos(DRV, drv, requestFor([out, dev]), [outNode, devNode], store);
  assert.deepEqual(infos.map((i) => i.storePath.toAbsolute()), [out, dev]);
  assert.deepEqual(infos[0].references.map((r) => r.toAbsolute()), [DEP, out, dev].sort());
  assert.deepEqual(infos[1].references, []);
  const expected = narHash(Buffer.from(join(dir, "out")));
  assert.equal(Buffer.from(infos[0].narSha256).toString("hex"), expected.hash.encode("base16"));
  assert.equal(infos[0].narSize, expected.size);
  assert.equal(infos[0].deriver?.toAbsolute(), DRV);
  assert.equal(infos[0].ca, undefined);
});

test("fixed outputs: hashed as declared (flat, recursive with any algorithm), CA set", async () => {
  const flat = path("f", "flat");
  const node = await output("flat", (p) => writeFileSync(p, "hello"));
  const sha1 = hashBytes("sha1", "hello");
  const [info] = await outputPathInfos(DRV, drvWith([["out", { kind: "fixed", path: flat, hash: { method: "flat", hash: sha1 } }]]), requestFor([flat]), [node], store);
  assert.equal(info.ca?.method, "flat");
  assert.ok(info.ca?.hash.equals(sha1));

  const rec = path("r", "rec");
  const recNode = await output("rec", (p) => {
    mkdirSync(p);
    writeFileSync(join(p, "a"), "a");
  });
  const narSha512 = narHash(Buffer.from(join(dir, "rec")), "sha512").hash;
  const [recInfo] = await outputPathInfos(DRV, drvWith([["out", { kind: "fixed", path: rec, hash: { method: "recursive", hash: narSha512 } }]]), requestFor([rec]), [recNode], store);
  assert.equal(recInfo.ca?.method, "recursive");
  assert.ok(recInfo.ca?.hash.equals(narSha512));
});

test("fixed outputs: a wrong hash fails with Nix 2.8's message and both hashes", async () => {
  const out = path("g", "wrong");
  const node = await output("wrong", (p) => writeFileSync(p, "not empty"));
  const specified = parseHash("sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  const got = hashBytes("sha256", "not empty").toSri();
  await assert.rejects(
    outputPathInfos(DRV, drvWith([["out", { kind: "fixed", path: out, hash: { method: "flat", hash: specified } }]]), requestFor([out]), [node], store),
    (err: Error) => {
      assert.ok(err instanceof OutputCheckError);
      assert.equal(err.message, `hash mismatch in fixed-output derivation '${DRV}':\n  specified: sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n     got:    ${got}`);
      return true;
    },
  );
});

test("fixed outputs: flat must be a non-executable file; no references", async () => {
  const out = path("h", "exe");
  const exe = await output("exe", (p) => {
    writeFileSync(p, "");
    chmodSync(p, 0o755);
  });
  const empty = parseHash("sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  const fixed = drvWith([["out", { kind: "fixed", path: out, hash: { method: "flat", hash: empty } }]]);
  await assert.rejects(outputPathInfos(DRV, fixed, requestFor([out]), [exe], store), /output path '.*-exe' should be a non-executable regular file since recursive hashing is not enabled \(outputHashMode=flat\)/);
  const withRef = await output("ref", (p) => writeFileSync(p, ""), [1]);
  await assert.rejects(outputPathInfos(DRV, fixed, requestFor([out]), [withRef], store), /fixed outputs cannot have references/);
  await assert.rejects(outputPathInfos(DRV, fixed, requestFor([out]), [], store), /returned 0 outputs/);
});
