import assert from "node:assert/strict";
import { test } from "node:test";
import { parseStorePath } from "../store-path.ts";
import { downstreamPlaceholder, hashPlaceholder } from "./placeholder.ts";

test("gives Nix's placeholder for an output", () => {
  // `builtins.placeholder "out"` in Nix 2.8 (also the example in Nix's manual).
  assert.equal(hashPlaceholder("out"), "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9");
});

test("gives Nix's downstream placeholder for an output of a derivation", () => {
  // `(derivation { name = "a"; builder = "b"; system = "c"; __contentAddressed = true; }).outPath`
  // with ca-derivations on in Nix 2.8 (drv path /nix/store/69nf48q50fab2chdyrfls5mhl7zbrfr2-a.drv).
  const drvPath = parseStorePath("/nix/store/69nf48q50fab2chdyrfls5mhl7zbrfr2-a.drv");
  assert.equal(downstreamPlaceholder(drvPath, "out"), "/0hfx7hdln6qasn0xx2pi7sgjdb85dzzi00bins6qsvbnfxb1amqx");
});
