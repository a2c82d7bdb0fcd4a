// What a builder's reply must be for the client to take it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { BuildRequestSchema, BuildSchema } from "../../proto/gen/tvix/build/v1/build_pb.js";
import { outputsFromProto } from "./client.ts";

const request = create(BuildRequestSchema, { outputs: ["nix/store/a-out", "nix/store/b-dev"], refscanNeedles: ["x", "y"] });
const symlink = (name: string) => ({ node: { case: "symlink" as const, value: { name: Buffer.from(name), target: Buffer.from("t") } } });

describe("outputsFromProto", () => {
  it("gives anonymous nodes with their needles, in request order", () => {
    const outputs = outputsFromProto(request, create(BuildSchema, { outputs: [symlink("a-out"), symlink("b-dev")], outputsNeedles: [{ needles: [1n] }, { needles: [] }] }));
    assert.deepEqual(outputs, [
      { node: { kind: "symlink", name: "", target: "t" }, needles: [1] },
      { node: { kind: "symlink", name: "", target: "t" }, needles: [] },
    ]);
  });

  it("refuses a reply with another number of outputs or needle lists", () => {
    assert.throws(() => outputsFromProto(request, create(BuildSchema, { outputs: [symlink("a-out")], outputsNeedles: [{}] })), /1 outputs and 1 needle lists for 2 requested outputs/);
    assert.throws(() => outputsFromProto(request, create(BuildSchema, { outputs: [symlink("a-out"), symlink("b-dev")], outputsNeedles: [{}] })), /2 outputs and 1 needle lists/);
  });

  it("refuses a needle index out of range and an invalid node", () => {
    assert.throws(() => outputsFromProto(request, create(BuildSchema, { outputs: [symlink("a-out"), symlink("b-dev")], outputsNeedles: [{ needles: [2n] }, {}] })), /needle index 2 of 2/);
    assert.throws(() => outputsFromProto(request, create(BuildSchema, { outputs: [symlink("a/out"), symlink("b-dev")], outputsNeedles: [{}, {}] })));
  });
});
