import assert from "node:assert/strict";
import { test } from "node:test";
import { hashBytes } from "../hash.ts";
import type { Derivation, DerivationOutput } from "./derivation.ts";
import { DerivationHasher } from "./hash-modulo.ts";

const PATH = `/nix/store/${"a".repeat(32)}-x`;
const DEP = `/nix/store/${"b".repeat(32)}-dep.drv`;
const SHA256 = hashBytes("sha256", "x");

function drv(outputs: [string, DerivationOutput][], inputDrvs: [string, string[]][] = []): Derivation {
  return { outputs: new Map(outputs), inputDrvs: new Map(inputDrvs), inputSrcs: [], system: "s", builder: "b", args: [], env: new Map() };
}

const hasherFor = (inputs: Record<string, Derivation>) => new DerivationHasher((path) => inputs[path] ?? assert.fail(`no ${path}`));

test("rejects derivations Nix rejects (derivation type)", () => {
  const hasher = hasherFor({});
  const fixed: DerivationOutput = { kind: "fixed", path: PATH, hash: { method: "flat", hash: SHA256 } };
  assert.throws(() => hasher.hashModulo(drv([]), true), /must have at least one output/);
  assert.throws(() => hasher.hashModulo(drv([["out", fixed], ["dev", { kind: "deferred" }]]), true), /can't mix derivation output types/);
  assert.throws(() => hasher.hashModulo(drv([["out", fixed], ["dev", fixed]]), true), /only one fixed output is allowed/);
  assert.throws(() => hasher.hashModulo(drv([["bin", fixed]]), true), /single fixed output must be named "out"/);
});

test("a missing output of an input derivation is an error naming both", () => {
  const hasher = hasherFor({ [DEP]: drv([["out", { kind: "inputAddressed", path: PATH }]]) });
  assert.throws(() => hasher.hashModulo(drv([["out", { kind: "deferred" }]], [[DEP, ["dev"]]]), true), new RegExp(`derivation '${DEP}' has no output 'dev'`));
});

test("floating and impure inputs defer the output paths; fixed ones do not", () => {
  const floating = drv([["out", { kind: "floating", method: "recursive", hashAlgo: "sha256" }]]);
  const impure = drv([["out", { kind: "impure", method: "recursive", hashAlgo: "sha256" }]]);
  const fixed = drv([["out", { kind: "fixed", path: PATH, hash: { method: "flat", hash: SHA256 } }]]);
  const dependent = drv([["out", { kind: "deferred" }]], [[DEP, ["out"]]]);
  assert.equal(hasherFor({ [DEP]: floating }).hashModulo(dependent, true).deferred, true);
  assert.equal(hasherFor({ [DEP]: impure }).hashModulo(dependent, true).deferred, true);
  assert.equal(hasherFor({ [DEP]: fixed }).hashModulo(dependent, true).deferred, false);
  // Nix gives impure outputs the hash of the word "impure".
  assert.ok(hasherFor({}).hashModulo(impure, false).hashes.get("out")!.equals(hashBytes("sha256", "impure")));
});
