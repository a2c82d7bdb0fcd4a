import assert from "node:assert/strict";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, it } from "node:test";
import { EMPTY_DIGEST } from "../castore/digest.ts";
import { nodeToProto } from "../castore/proto.ts";
import { type BuildRequest, BuildRequestSchema } from "../proto/gen/tvix/build/v1/build_pb.js";
import { checkBuildRequest, containingScratchPath } from "./request.ts";

type Init = Exclude<MessageInitShape<typeof BuildRequestSchema>, BuildRequest>;

function request(fields: Init = {}): BuildRequest {
  return create(BuildRequestSchema, {
    commandArgs: ["/bin/sh"],
    workingDir: "build",
    scratchPaths: ["build", "nix/store"],
    inputsDir: "nix/store",
    outputs: ["nix/store/a-out"],
    constraints: { system: "x86_64-linux" },
    ...fields,
  });
}

const file = (name: string) => nodeToProto({ kind: "file", name, digest: EMPTY_DIGEST, size: 0, executable: false });

describe("checkBuildRequest", () => {
  it("accepts a Nix-like request and converts its inputs", () => {
    const checked = checkBuildRequest(request({ inputs: [file("a"), file("b")], environmentVars: [{ key: "A", value: new Uint8Array() }, { key: "B" }] }));
    assert.deepEqual(
      checked.inputs.map((input) => input.name),
      ["a", "b"],
    );
  });

  const bad: [string, Init, RegExp][] = [
    ["unsorted inputs", { inputs: [file("b"), file("a")] }, /inputs is not sorted/],
    ["duplicate inputs", { inputs: [file("a"), file("a")] }, /inputs has "a" twice/],
    ["an invalid input", { inputs: [file("a/b")] }, /input 0: invalid entry name/],
    ["no command", { commandArgs: [] }, /command_args is empty/],
    ["an absolute working dir", { workingDir: "/build" }, /working_dir "\/build" is not a clean relative path: it is absolute/],
    ["a dotted inputs dir", { inputsDir: "nix/./store" }, /inputs_dir .* has a '\.' component/],
    ["a trailing slash", { scratchPaths: ["build/"] }, /empty component/],
    ["unsorted scratch paths", { scratchPaths: ["nix/store", "build"] }, /scratch_paths is not sorted/],
    ["an output outside scratch", { outputs: ["out"] }, /output "out" is not inside a scratch path/],
    ["unsorted outputs", { outputs: ["nix/store/b", "nix/store/a"] }, /outputs is not sorted/],
    ["a key with =", { environmentVars: [{ key: "A=B" }] }, /contains '='/],
    ["an empty key", { environmentVars: [{ key: "" }] }, /empty name/],
    ["a NUL in a value", { environmentVars: [{ key: "A", value: new Uint8Array([65, 0]) }] }, /NUL byte/],
    ["unsorted env", { environmentVars: [{ key: "B" }, { key: "A" }] }, /environment_vars is not sorted/],
    ["duplicate env", { environmentVars: [{ key: "A" }, { key: "A" }] }, /environment_vars has "A" twice/],
    ["an empty system", { constraints: { system: "" } }, /constraints.system is empty/],
    ["a relative ro path", { constraints: { system: "x", availableRoPaths: ["etc"] } }, /is not a clean absolute path/],
    ["an additional file outside scratch", { additionalFiles: [{ path: "etc/x" }] }, /additional file "etc\/x" is not inside a scratch path/],
    ["an additional file replacing scratch", { additionalFiles: [{ path: "build" }] }, /is not inside a scratch path/],
    ["unsorted additional files", { additionalFiles: [{ path: "build/b" }, { path: "build/a" }] }, /additional_files is not sorted/],
    ["an empty needle", { refscanNeedles: ["abc", ""] }, /a refscan needle is empty/],
  ];
  for (const [what, fields, message] of bad) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => checkBuildRequest(request(fields)),
        (err: Error) => err.name === "CastoreError" && /^invalid build request: /.test(err.message) && message.test(err.message),
      );
    });
  }
});

describe("containingScratchPath", () => {
  it("finds the deepest scratch path holding a path, by components", () => {
    const req = request({ scratchPaths: ["build", "nix", "nix/store"] });
    assert.equal(containingScratchPath(req, "nix/store/x"), "nix/store");
    assert.equal(containingScratchPath(req, "nix/var"), "nix");
    assert.equal(containingScratchPath(req, "builder/x"), undefined);
  });
});
