import assert from "node:assert/strict";
import { test } from "node:test";
import { parseHash } from "../hash.ts";
import type { Derivation, DerivationOutput } from "./derivation.ts";
import { DerivationHasher } from "./hash-modulo.ts";
import { derivationPath, instantiateDerivation } from "./instantiate.ts";

// Paths printed by Nix 2.8 (`nix-instantiate --eval --strict --json`) for:
//   foo = derivation { name = "foo"; system = "x86_64-linux"; builder = "/bin/sh"; outputs = [ "out" "dev" ]; };
//   fod = derivation { name = "fod"; system = "x86_64-linux"; builder = "/bin/sh"; outputHashMode = "recursive";
//                      outputHashAlgo = "sha1"; outputHash = "0000000000000000000000000000000000000000"; };
//   bar = derivation { name = "bar"; system = "x86_64-linux"; builder = "/bin/sh"; a = foo.dev; b = fod; };
const NIX = {
  fooDrv: "/nix/store/vq69sqp8jpimmv62milrq467xk9wkkg0-foo.drv",
  fooOut: "/nix/store/1f5018jnvzb10jsijwrp0hyklh9hmmsg-foo",
  fooDev: "/nix/store/7zhc9sliq14lz2f1yc1d68fi9njpfhr1-foo-dev",
  fodDrv: "/nix/store/cav6d5yrlnkk0564ahfmrxz419gdgrh0-fod.drv",
  fodOut: "/nix/store/s6gprrbmjsh18wgd8giy1ckcry30yyxp-fod",
  barDrv: "/nix/store/3vyk6ja2b2lbnngc76dvk6nnc6vvamc2-bar.drv",
  barOut: "/nix/store/3jm8yq158aqiy1wp0l2yfhx91pmcsxxr-bar",
};

/** What builtins.derivation hands over: env from the attributes, output paths not yet known. */
function draft(name: string, outputs: [string, DerivationOutput][], env: [string, string][], inputDrvs: [string, string[]][] = []): Derivation {
  const base: [string, string][] = [["builder", "/bin/sh"], ["name", name], ["system", "x86_64-linux"]];
  return { outputs: new Map(outputs), inputDrvs: new Map(inputDrvs), inputSrcs: [], system: "x86_64-linux", builder: "/bin/sh", args: [], env: new Map([...base, ...env]) };
}

const foo = draft("foo", [["out", { kind: "deferred" }], ["dev", { kind: "deferred" }]], [["outputs", "out dev"]]);
const fodHash = { method: "recursive" as const, hash: parseHash("sha1:0000000000000000000000000000000000000000") };
const fod = draft("fod", [["out", { kind: "fixed", path: "", hash: fodHash }]], [
  ["outputHashMode", "recursive"],
  ["outputHashAlgo", "sha1"],
  ["outputHash", "0000000000000000000000000000000000000000"],
]);
const bar = draft("bar", [["out", { kind: "deferred" }]], [["a", NIX.fooDev], ["b", NIX.fodOut]], [[NIX.fooDrv, ["dev"]], [NIX.fodDrv, ["out"]]]);

const noResolver = (path: string): Derivation => assert.fail(`resolved ${path}`);

test("fills in input-addressed and fixed outputs and gets Nix's paths", () => {
  const hasher = new DerivationHasher(noResolver);
  const fooDone = instantiateDerivation("foo", foo, hasher);
  assert.equal(fooDone.drvPath, NIX.fooDrv);
  assert.deepEqual(fooDone.drv.outputs.get("out"), { kind: "inputAddressed", path: NIX.fooOut });
  assert.equal(fooDone.drv.env.get("dev"), NIX.fooDev);
  const fodDone = instantiateDerivation("fod", fod, hasher);
  assert.equal(fodDone.drvPath, NIX.fodDrv);
  assert.deepEqual(fodDone.drv.outputs.get("out"), { kind: "fixed", path: NIX.fodOut, hash: fodHash });
  assert.equal(fodDone.drv.env.get("out"), NIX.fodOut);
  // Both inputs were remembered when instantiated, so nothing is resolved.
  const barDone = instantiateDerivation("bar", bar, hasher);
  assert.equal(barDone.drvPath, NIX.barDrv);
  assert.equal(barDone.drv.env.get("out"), NIX.barOut);
  assert.equal(derivationPath(barDone.drv, "bar").toAbsolute(), NIX.barDrv);
  assert.equal(bar.env.has("out"), false, "the draft is left as it was");
});

test("resolves each input derivation once", () => {
  const done = new Map([[NIX.fooDrv, instantiateDerivation("foo", foo, new DerivationHasher(noResolver)).drv], [NIX.fodDrv, instantiateDerivation("fod", fod, new DerivationHasher(noResolver)).drv]]);
  const resolved: string[] = [];
  const hasher = new DerivationHasher((path) => {
    resolved.push(path);
    return done.get(path) ?? assert.fail(path);
  });
  assert.equal(instantiateDerivation("bar", bar, hasher).drvPath, NIX.barDrv);
  assert.match(instantiateDerivation("bar2", { ...bar, env: new Map([...bar.env, ["name", "bar2"]]) }, hasher).drvPath, /-bar2\.drv$/);
  assert.deepEqual(resolved.sort(), [NIX.fodDrv, NIX.fooDrv]);
});
