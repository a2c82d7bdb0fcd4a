import assert from "node:assert/strict";
import { test } from "node:test";
import { hashPlaceholder } from "./placeholder.ts";

test("gives Nix's placeholder for an output", () => {
  // `builtins.placeholder "out"` in Nix 2.8 (also the example in Nix's manual).
  assert.equal(hashPlaceholder("out"), "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9");
});
