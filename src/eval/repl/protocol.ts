// The messages between `tvix repl`'s main thread (the terminal) and its evaluation worker
// (the session). Texts are binary strings (one char per byte), as the evaluator has them.
import type { EvalSetup } from "../instantiate.ts";
import type { Completion } from "./completion.ts";
import type { InputOutcome } from "./session.ts";

export interface ReplSetup extends EvalSetup {
  /** Files to load at the start (and again on `:r`). */
  files: string[];
  colors: boolean;
  /**
   * Only when the worker replaces one that was interrupted or died: the inputs that built up
   * the old worker's scope, run again silently so that the session goes on with its variables.
   */
  replay?: string[];
}

export type ToWorker = { type: "input"; text: string } | { type: "complete"; prefix: string };

export type FromWorker =
  | { type: "output"; fd: 1 | 2; text: string }
  /** The start-up files are loaded (or failed to, and the error was written). */
  | { type: "started"; ok: boolean }
  /**
   * `changedScope`: the input added variables or files, so it is part of the replay;
   * `showTrace`: whether errors are to be shown with traces now (`:st` changes it).
   */
  | { type: "outcome"; outcome: InputOutcome; changedScope: boolean; showTrace: boolean }
  | { type: "completion"; completion: Completion };
