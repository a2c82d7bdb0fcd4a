// The work of `tvix parse`, run in a worker thread with a large stack: the parser recurses as
// deeply as the input nests, and Nix accepts nesting up to bison's limit of ~10000 stack
// entries, far more than the main thread's JavaScript stack allows.
import { lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { formatEvalError } from "../eval/error-report.ts";
import { addSource, NO_POS, type Source } from "../eval/position.ts";
import type { Expr } from "../eval/syntax/ast.ts";
import { parseNix } from "../eval/syntax/parse.ts";
import { ParseError } from "../eval/syntax/parse-error.ts";
import { showExpr } from "../eval/syntax/show.ts";
import { strerror } from "../nix-compat/strerror.ts";

export interface ParseJob {
  /** File names, or expressions when `expressions` is set. */
  inputs: string[];
  expressions: boolean;
  json: boolean;
}

/** What to print: byte strings (one char per byte) for stdout and stderr, and the exit code. */
export interface ParseResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

function runJob(job: ParseJob): ParseResult {
  let stdout = "";
  for (const input of job.inputs) {
    try {
      const source = job.expressions ? addSource(null, Buffer.from(input, "utf8").toString("latin1")) : readNixFile(input);
      const expr = parseNix(source);
      stdout += `${job.json ? toJson(expr, source) : showExpr(expr)}\n`;
    } catch (err) {
      if (err instanceof ParseError) return { stdout, stderr: formatEvalError(err, false), exitCode: 1 };
      if (err instanceof FileError) return { stdout, stderr: `error: ${err.message}\n`, exitCode: 1 };
      throw err;
    }
  }
  return { stdout, stderr: "", exitCode: 0 };
}

class FileError extends Error {}

/**
 * Reads the file Nix would read for `nix-instantiate --parse NAME`: symlinks followed, a
 * directory standing for its default.nix. The source is named after the resolved path.
 */
function readNixFile(name: string): Source {
  let path = resolve(name);
  for (let links = 0; ; links++) {
    const stat = fileOp(`getting status of '${path}'`, () => lstatSync(path));
    if (!stat.isSymbolicLink()) {
      if (stat.isDirectory()) path = `${path}/default.nix`;
      break;
    }
    if (links >= 1024) throw new FileError(`too many symbolic links encountered while traversing the path '${path}'`);
    path = resolve(dirname(path), readlinkSync(path));
  }
  const text = fileOp(`opening file '${path}'`, () => {
    if (statSync(path).isDirectory()) throw Object.assign(new Error("EISDIR"), { code: "EISDIR", errno: -21 });
    return readFileSync(path, "latin1");
  });
  return addSource(path, text);
}

/** Runs a file operation, turning its failure into Nix's "what: reason" message. */
function fileOp<R>(what: string, op: () => R): R {
  try {
    return op();
  } catch (err) {
    const reason = strerror(err);
    if (reason === undefined) throw err;
    throw new FileError(`${what}: ${reason}`);
  }
}

/** The syntax tree as JSON: positions as byte offsets into the source (null for none). */
function toJson(expr: Expr, source: Source): string {
  const offset = (pos: number) => (pos === NO_POS ? null : pos - source.base);
  return JSON.stringify(expr, (key, value: unknown) => {
    if (typeof value === "bigint") return value.toString();
    if (key === "start" || key === "end" || key === "pos") return offset(value as number);
    if (key === "partPos") return (value as number[]).map(offset);
    return value;
  });
}

parentPort?.postMessage(runJob(workerData as ParseJob));
