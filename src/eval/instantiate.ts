// `nix-instantiate --eval` as a synchronous function: evaluate files or `-E` expressions,
// select `-A` paths, auto-call with `--arg`/`--argstr`, force (`--strict`), and print plain,
// JSON or XML — with Nix 2.8's output byte for byte. It runs inside the evaluation worker.
import { resolve } from "node:path";
import { autoCallFunction, findAlongAttrPath } from "./auto-call.ts";
import { formatEvalFailure } from "./error-report.ts";
import { EvalError } from "./errors.ts";
import type { Builtin } from "./builtins/registry.ts";
import type { EvalIO } from "./io.ts";
import { LocalIO } from "./local-io.ts";
import { JsonWriter } from "./print/json.ts";
import { printValue } from "./print/value.ts";
import { valueToXml } from "./print/xml.ts";
import { getDerivations, queryOutputName, requireDrvPath } from "./get-derivations.ts";
import { forceDeep } from "./runtime/deep-force.ts";
import { parseSearchPathEntry, splitNixPath } from "./search-path.ts";
import { EvalState } from "./state.ts";
import { NixAttrs } from "./value/attrs.ts";
import { Thunk } from "./value/thunk.ts";
import { force } from "./value/thunk.ts";
import type { Value } from "./value/value.ts";
import { utf8ToBytes } from "../nix-compat/byte-string.ts";

/** What an evaluation is set up from: the options `tvix eval` and `tvix repl` share. */
export interface EvalSetup {
  /** `--arg name expr` (kind "expr") and `--argstr name value` (kind "string"). */
  autoArgs: { name: string; kind: "expr" | "string"; value: string }[];
  /** `-I` values, in order. */
  include: string[];
  showTrace: boolean;
  cwd: string;
  /** $NIX_PATH. */
  nixPath: string | undefined;
  homeDir: string | undefined;
  /** `--extra-experimental-features` / `--experimental-features` values, split at spaces. */
  experimentalFeatures?: string[];
  /**
   * URL of a module whose `createEvalWorld(request)` gives the EvalIO and builtins beyond the
   * pure core (src/glue/eval-world.ts); without one, evaluation is pure and read-only.
   */
  world?: string;
  /**
   * The world posts each store path the evaluation adds to the parent thread as it is added
   * (src/glue/pending-stream.ts), for `tvix instantiate` and `tvix build` to write and build.
   */
  streamStorePaths?: boolean;
  /**
   * The parent thread answers the world's requests to realise store paths (import from
   * derivation, src/glue/realise-channel.ts); `tvix build` does.
   */
  realiseStorePaths?: boolean;
}

export interface EvalRequest extends EvalSetup {
  /** Files, or with `expressions` the texts of `-E`. */
  inputs: string[];
  expressions: boolean;
  attrPaths: string[];
  strict: boolean;
  /** `derivations`: nix-instantiate without --eval, the .drv paths of the derivations found. */
  output: "plain" | "json" | "xml" | "derivations";
  /** XML only: with source positions (off with --no-location). */
  location: boolean;
}

/** What glue code adds to an evaluation: the outside world and store-aware builtins. */
export interface EvalWorld {
  io: EvalIO;
  extraBuiltins: readonly Builtin[];
}

export interface EvalResult {
  /** Binary string (one char per byte). */
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Command-line text is UTF-8; Nix sees its bytes. */
const bytes = utf8ToBytes;

/** nix-instantiate's warning, once, when it prints a .drv path it made no GC root for. */
const GC_WARNING = "warning: you did not specify '--add-root'; the result might be removed by the garbage collector\n";

/** nix-instantiate's lines for the derivations in `v`, one by one: the .drv path, and `!output` unless it is `out`. */
function printDerivations(state: EvalState, autoArgs: NixAttrs, v: Value, print: (line: string) => void): void {
  for (const drv of getDerivations(autoArgs, v)) {
    const drvPath = requireDrvPath(state, drv);
    const outputName = queryOutputName(drv);
    if (outputName === "") throw new EvalError(`derivation '${drvPath}' lacks an 'outputName' attribute`);
    print(`${drvPath}${outputName !== "out" ? `!${outputName}` : ""}\n`);
  }
}

export function instantiateEval(request: EvalRequest, world?: EvalWorld): EvalResult {
  let stdout = "";
  let stderr = "";
  try {
    const state = createEvalState(request, world);
    const cwd = bytes(request.cwd);
    const autoArgs = evalAutoArgs(state, request);
    const inputs = request.inputs.length > 0 || request.expressions ? request.inputs : ["./default.nix"];
    for (const input of inputs) {
      const root = request.expressions ? state.evalText(bytes(input), cwd) : state.evalFile(fileArg(state, bytes(input), cwd));
      for (const attrPath of request.attrPaths.length > 0 ? request.attrPaths : [""]) {
        const v = findAlongAttrPath(bytes(attrPath), autoArgs, root);
        force(v);
        if (request.output === "derivations") {
          printDerivations(state, autoArgs, v, (line) => {
            stderr = GC_WARNING;
            stdout += line;
          });
          continue;
        }
        const result = autoArgs.size === 0 ? v : autoCallFunction(autoArgs, v);
        // Nix streams JSON and XML to stdout, so an error leaves what was written (closed up).
        if (request.output === "json") {
          const writer = new JsonWriter(state, request.strict, new Set());
          try {
            writer.write(result);
          } finally {
            stdout += writer.partial();
          }
        } else if (request.output === "xml") {
          stdout += valueToXml(result, request.strict, request.location, new Set(), (partial) => (stdout += partial));
        }
        else {
          if (request.strict) forceDeep(result);
          stdout += `${printValue(result)}\n`;
        }
      }
    }
    return { stdout, stderr, exitCode: 0 };
  } catch (err) {
    const report = formatEvalFailure(err, request.showTrace);
    if (report === undefined) throw err;
    return { stdout, stderr: stderr + report, exitCode: err instanceof EvalError ? err.status : 1 };
  }
}

export function createEvalState(setup: EvalSetup, world?: EvalWorld, log?: (line: string) => void): EvalState {
  return new EvalState({
    io: world?.io ?? new LocalIO(),
    extraBuiltins: world?.extraBuiltins,
    searchPath: [...setup.include, ...splitNixPath(setup.nixPath ?? "")].map((s) => parseSearchPathEntry(bytes(s))),
    showTrace: setup.showTrace,
    homeDir: setup.homeDir,
    log,
  });
}

/** The `--arg`/`--argstr` values as a set (`--arg` expressions evaluated lazily); a later one for the same name wins. */
export function evalAutoArgs(state: EvalState, setup: EvalSetup): NixAttrs {
  const cwd = bytes(setup.cwd);
  const args = new Map<string, Value>();
  for (const arg of setup.autoArgs) {
    args.set(bytes(arg.name), arg.kind === "string" ? bytes(arg.value) : new Thunk(() => state.evalText(bytes(arg.value), cwd), null));
  }
  return NixAttrs.fromEntries([...args.keys()], [...args.values()]);
}

/** A file argument: `<nixpkgs>` is looked up in the search path, anything else is relative to the working directory. */
export function fileArg(state: EvalState, arg: string, cwd: string): string {
  if (arg.length > 2 && arg.startsWith("<") && arg.endsWith(">")) {
    const found = state.findFile(state.searchPath, arg.slice(1, -1));
    if (found === undefined) throw new EvalError(`file '${arg.slice(1, -1)}' was not found in the Nix search path (add it using $NIX_PATH or -I)`);
    return found;
  }
  return resolve(cwd, arg);
}
