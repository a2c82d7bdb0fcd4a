// The errors evaluation can raise, shaped like Nix 2.8's class tree because `builtins.tryEval`
// catches by class: only AssertionError (failed `assert`) and its subclass ThrownError
// (`throw`). Everything else (abort, type errors, infinite recursion, missing attributes)
// escapes tryEval, exactly as in Nix 2.8.
import type { Pos } from "./position.ts";
import { currentCallPos } from "./runtime/call-stack.ts";

/** One "while evaluating …" line of `--show-trace` output, innermost first. */
export interface TraceFrame {
  pos: Pos;
  message: string;
}

export class EvalError extends Error {
  override name = "EvalError";
  /** Where the error happened: as given, else the innermost call being evaluated. */
  pos: Pos;
  readonly trace: TraceFrame[] = [];
  /** The exit code Nix ends with (102 for a hash mismatch, as Nix's BaseError has it). */
  status = 1;

  constructor(message: string, pos: Pos = 0) {
    super(message);
    this.pos = pos !== 0 ? pos : currentCallPos();
  }

  /** Sets the position if none is known yet. */
  atPos(pos: Pos): this {
    if (this.pos === 0) this.pos = pos;
    return this;
  }

  addTrace(pos: Pos, message: string): void {
    this.trace.push({ pos, message });
  }
}

/** A failed `assert`; catchable by `builtins.tryEval`. */
export class AssertionError extends EvalError {
  override name = "AssertionError";
}

/** `throw "msg"`; catchable by `builtins.tryEval`. Nix reports it without a position. */
export class ThrownError extends AssertionError {
  override name = "ThrownError";

  constructor(message: string) {
    super(message);
    this.pos = 0;
  }
}

/** `abort "msg"`: never caught. Nix reports it without a position. */
export class Abort extends EvalError {
  override name = "Abort";

  constructor(message: string) {
    super(message);
    this.pos = 0;
  }
}

/** A failed system call (`opening file '/x': No such file or directory`); Nix shows no position. */
export class SysError extends EvalError {
  override name = "SysError";

  constructor(message: string) {
    super(message);
    this.pos = 0;
  }
}

/**
 * An error Nix raises as a plain `Error`, outside the evaluator (fetchers, settings such as
 * experimental features): it has no position of its own and takes none from the call.
 */
export class PlainError extends EvalError {
  override name = "PlainError";

  constructor(message: string) {
    super(message);
    this.pos = 0;
  }
}

/** A value of the wrong type ("value is a string while a list was expected"). */
export class NixTypeError extends EvalError {
  override name = "TypeError";
}

export class UndefinedVarError extends EvalError {
  override name = "UndefinedVarError";
}

/** A top-level function argument without a value (`--arg` missing). */
export class MissingArgumentError extends EvalError {
  override name = "MissingArgumentError";
}

/** True for the errors `builtins.tryEval` turns into `{ success = false; }`. */
export function isCatchable(err: unknown): boolean {
  return err instanceof AssertionError;
}
