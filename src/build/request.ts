// Validation of a `tvix.build.v1.BuildRequest` with Tvix's rules (tvix/build/src/proto/mod.rs):
// clean relative paths, lists sorted (and so free of duplicates), environment keys without `=`.
// A builder checks a request before it touches the disk, so a bad one changes nothing.
import { nodeFromProto } from "../castore/proto.ts";
import { CastoreError } from "../castore/errors.ts";
import type { Node } from "../castore/node.ts";
import type { BuildRequest } from "../proto/gen/tvix/build/v1/build_pb.js";

/** A request that passed validation, with its inputs as castore nodes. */
export interface CheckedBuildRequest {
  request: BuildRequest;
  inputs: Node[];
}

function invalid(message: string): CastoreError {
  return new CastoreError("invalid-argument", `invalid build request: ${message}`);
}

/** Why `path` is not a clean relative path (`a/b`: no `.`, `..`, empty components or NUL), or undefined. */
function relativePathProblem(path: string): string | undefined {
  if (path === "") return "it is empty";
  if (path.includes("\0")) return "it contains a NUL byte";
  if (path.startsWith("/")) return "it is absolute";
  for (const component of path.split("/")) {
    if (component === "") return "it has an empty component (a leading, trailing or doubled '/')";
    if (component === "." || component === "..") return `it has a '${component}' component`;
  }
  return undefined;
}

function checkRelativePath(path: string, what: string): void {
  const problem = relativePathProblem(path);
  if (problem !== undefined) throw invalid(`${what} ${JSON.stringify(path)} is not a clean relative path: ${problem}`);
}

function checkAbsolutePath(path: string, what: string): void {
  const problem = path.startsWith("/") ? relativePathProblem(path.slice(1)) : "it is relative";
  if (problem !== undefined) throw invalid(`${what} ${JSON.stringify(path)} is not a clean absolute path: ${problem}`);
}

/** Byte order of the UTF-8 encodings, as Rust compares strings. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function checkSorted(values: readonly string[], what: string, compare = compareUtf8): void {
  for (let i = 1; i < values.length; i++) {
    const order = compare(values[i - 1], values[i]);
    if (order === 0) throw invalid(`${what} has ${JSON.stringify(values[i])} twice`);
    if (order > 0) throw invalid(`${what} is not sorted: ${JSON.stringify(values[i - 1])} comes before ${JSON.stringify(values[i])}`);
  }
}

/** Whether `path` is `parent` or lies below it (both clean relative paths). */
export function isWithin(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}/`);
}

/** The scratch path that holds `path`, the longest if several do; undefined if none does. */
export function containingScratchPath(request: BuildRequest, path: string): string | undefined {
  let found: string | undefined;
  for (const scratch of request.scratchPaths) {
    if (isWithin(path, scratch) && (found === undefined || scratch.length > found.length)) found = scratch;
  }
  return found;
}

/** Checks `request`; throws an invalid-argument CastoreError saying what is wrong. */
export function checkBuildRequest(request: BuildRequest): CheckedBuildRequest {
  const inputs = request.inputs.map((input, i) => {
    try {
      return nodeFromProto(input);
    } catch (err) {
      throw invalid(`input ${i}: ${(err as Error).message}`);
    }
  });
  // Input names are byte strings: JS order of latin1 strings is byte order.
  checkSorted(
    inputs.map((input) => input.name),
    "inputs",
    (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  );
  if (request.commandArgs.length === 0) throw invalid("command_args is empty: there is no builder to run");
  if (request.commandArgs[0] === "") throw invalid("the builder (command_args[0]) is empty");
  checkRelativePath(request.workingDir, "working_dir");
  checkRelativePath(request.inputsDir, "inputs_dir");
  for (const path of request.scratchPaths) checkRelativePath(path, "scratch path");
  checkSorted(request.scratchPaths, "scratch_paths");
  for (const path of request.outputs) {
    checkRelativePath(path, "output");
    if (containingScratchPath(request, path) === undefined) throw invalid(`output ${JSON.stringify(path)} is not inside a scratch path, so the build could not write it`);
  }
  checkSorted(request.outputs, "outputs");
  for (const { key, value } of request.environmentVars) {
    if (key === "") throw invalid("an environment variable has an empty name");
    if (key.includes("=")) throw invalid(`environment variable name ${JSON.stringify(key)} contains '='`);
    if (key.includes("\0")) throw invalid(`environment variable name ${JSON.stringify(key)} contains a NUL byte`);
    if (value.includes(0)) throw invalid(`the value of environment variable ${key} contains a NUL byte`);
  }
  checkSorted(
    request.environmentVars.map((envVar) => envVar.key),
    "environment_vars",
  );
  const constraints = request.constraints;
  if (constraints !== undefined) {
    if (constraints.system === "") throw invalid("constraints.system is empty");
    for (const path of constraints.availableRoPaths) checkAbsolutePath(path, "available read-only path");
    checkSorted(constraints.availableRoPaths, "constraints.available_ro_paths");
  }
  for (const file of request.additionalFiles) {
    checkRelativePath(file.path, "additional file");
    if (containingScratchPath(request, file.path) === undefined || request.scratchPaths.includes(file.path)) {
      throw invalid(`additional file ${JSON.stringify(file.path)} is not inside a scratch path`);
    }
  }
  checkSorted(
    request.additionalFiles.map((file) => file.path),
    "additional_files",
  );
  if (request.refscanNeedles.some((needle) => needle === "")) throw invalid("a refscan needle is empty");
  return { request, inputs };
}
