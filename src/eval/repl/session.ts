// One `tvix repl` session inside the evaluation worker, as Nix 2.8's NixRepl: the variables
// the user has bound or loaded, the files to reload, and what one input does — evaluate and
// print an expression, bind `x = expr` (lazily), or run a `:command`. Inputs and outputs are
// binary strings; the main thread does the terminal (see src/cli/repl.ts).
import { autoCallFunction } from "../auto-call.ts";
import { formatEvalFailure } from "../error-report.ts";
import { EvalError } from "../errors.ts";
import { fileArg } from "../instantiate.ts";
import { callDepth, resetCallDepth } from "../runtime/call-stack.ts";
import { forceAttrs } from "../runtime/force.ts";
import type { EvalState } from "../state.ts";
import { ParseError } from "../syntax/parse-error.ts";
import { NixAttrs } from "../value/attrs.ts";
import { forcingHeight, resetForcing, Thunk } from "../value/thunk.ts";
import { type ForcedValue, showType, type Value } from "../value/value.ts";
import { type Completion, completeInScope } from "./completion.ts";
import { ReplPrinter } from "./print.ts";

/** What became of an input: handled, waiting for more lines (an unfinished expression), or `:quit`. */
export type InputOutcome = "done" | "incomplete" | "quit";

export interface ReplOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface ReplOptions {
  /** The working directory, as bytes: where relative paths and files are resolved. */
  cwd: string;
  /** `--arg`/`--argstr`, for the functions that loaded files are. */
  autoArgs: NixAttrs;
  colors: boolean;
  /** As the evaluator was made: it records trace frames only with --show-trace. */
  showTrace: boolean;
}

const HELP = `The following commands are available:

  <expr>        Evaluate and print expression
  <x> = <expr>  Bind expression to variable
  :a <expr>     Add attributes from resulting set to scope
  :l <path>     Load Nix expression and add it to scope
  :p <expr>     Evaluate and print expression recursively
  :q            Exit nix-repl
  :r            Reload all files
  :t <expr>     Describe result of evaluation
  :st [bool]    Enable, disable or toggle showing traces for errors
`;

/** Nix's repl commands that need a store, a builder or a flake, none of which tvix repl has yet. */
const UNSUPPORTED = new Set([":b", ":bl", ":i", ":s", ":u", ":e", ":edit", ":lf", ":load-flake", ":log", ":doc"]);

/** A name `x = …` can bind: the repl's own test, which lets keywords through as Nix's does. */
const VAR_NAME = /^[a-zA-Z_][a-zA-Z0-9_'-]*$/;

/** Thrown when the input's parse ran into its end: the expression goes on in the next line. */
class IncompleteInput extends Error {}

/** `:p` prints everything (Nix passes a billion levels). */
const ALL_LEVELS = Number.POSITIVE_INFINITY;

export class ReplSession {
  private readonly state: EvalState;
  private readonly options: ReplOptions;
  private readonly output: ReplOutput;
  /** The variables added by the user, newest value of a name winning; they hide the globals. */
  private readonly variables = new Map<string, Value>();
  /** `variables` as the set the compiler takes, made again after each change. */
  private scope: NixAttrs | null = null;
  /** Files given on the command line and by `:l`, in the order `:r` loads them again. */
  private loadedFiles: string[] = [];
  /** Counts the changes to the variables and files, so callers can tell which inputs made any. */
  private changes = 0;
  /**
   * Whether errors are shown with their traces (`:st`). The evaluator keeps to the setting it
   * was made with, so a change takes a new one (the caller's business, see remote-session.ts).
   */
  showTrace: boolean;

  constructor(state: EvalState, options: ReplOptions, output: ReplOutput) {
    this.state = state;
    this.options = options;
    this.output = output;
    this.showTrace = options.showTrace;
  }

  /** Loads the command-line files; false after reporting an error, which ends the repl in Nix. */
  start(files: readonly string[]): boolean {
    this.loadedFiles = [...files];
    try {
      this.reloadFiles();
    } catch (err) {
      this.output.stderr(this.report(err));
      return false;
    }
    if (this.loadedFiles.length > 0) this.notice("");
    return true;
  }

  get scopeVersion(): number {
    return this.changes;
  }

  /**
   * Handles one input (one or more lines, each ending in "\n"). Errors are reported and the
   * session goes on; an input whose parse ran into the end of the text is "incomplete" and
   * comes back with the next line added.
   */
  processInput(input: string): InputOutcome {
    const calls = callDepth();
    const thunks = forcingHeight();
    try {
      if (input.trim() !== "" && !this.processLine(input.trim())) return "quit";
    } catch (err) {
      if (err instanceof IncompleteInput) return "incomplete";
      // The abandoned evaluation left thunks black-holed and calls entered; later inputs may use them.
      resetCallDepth(calls);
      resetForcing(thunks);
      this.output.stderr(this.report(err));
    }
    this.output.stdout("\n");
    return "done";
  }

  /** Completions of the word before the cursor: variables, attributes of `expr.`, files under `dir/`. */
  complete(prefix: string): Completion {
    const calls = callDepth();
    const thunks = forcingHeight();
    try {
      return completeInScope(prefix, {
        variables: () => [...this.state.globalVariables, ...this.variables.keys()],
        evaluate: (text) => this.evaluate(text),
      });
    } finally {
      resetCallDepth(calls);
      resetForcing(thunks);
    }
  }

  private report(err: unknown): string {
    const report = formatEvalFailure(err, this.showTrace);
    if (report !== undefined) return report;
    const e = err as Error;
    return `error: internal error: ${e?.message ?? String(err)}\n${process.env.TVIX_DEBUG ? `${e?.stack}\n` : ""}`;
  }

  /** Returns false for `:quit`. */
  private processLine(line: string): boolean {
    if (!line.startsWith(":")) {
      this.bindOrPrint(line);
      return true;
    }
    const space = line.search(/[ \n\r\t]/);
    const command = space < 0 ? line : line.slice(0, space);
    const arg = space < 0 ? "" : line.slice(space).trim();
    switch (command) {
      case ":?":
      case ":help":
        this.output.stdout(HELP);
        break;
      case ":a":
      case ":add":
        this.addAttrsToScope(this.evaluate(arg));
        break;
      case ":l":
      case ":load":
        this.state.resetFileCache();
        this.loadFile(arg);
        break;
      case ":r":
      case ":reload":
        this.state.resetFileCache();
        this.reloadFiles();
        break;
      case ":t":
        this.output.stdout(`${showType(this.evaluate(arg))}\n`);
        break;
      case ":p":
      case ":print":
        this.print(this.evaluate(arg), ALL_LEVELS);
        break;
      case ":q":
      case ":quit":
        return false;
      case ":st":
      case ":show-trace":
        this.toggleShowTrace(command, arg);
        break;
      default:
        if (UNSUPPORTED.has(command)) throw new EvalError(`the command '${command}' is not supported by tvix repl`);
        throw new EvalError(`unknown command '${command}'`);
    }
    return true;
  }

  private toggleShowTrace(command: string, arg: string): void {
    if (arg !== "" && arg !== "true" && arg !== "false") throw new EvalError(`unexpected argument '${arg}' to ${command}`);
    this.showTrace = arg === "" ? !this.showTrace : arg === "true";
    this.output.stdout(this.showTrace ? "showing error traces\n" : "not showing error traces\n");
  }

  /** `x = expr` binds a thunk (the expression is only parsed now); anything else is evaluated and printed. */
  private bindOrPrint(line: string): void {
    const eq = line.indexOf("=");
    const name = eq < 0 ? "" : line.slice(0, eq).trim();
    if (eq >= 0 && line[eq + 1] !== "=" && VAR_NAME.test(name)) {
      this.addVariable(name, new Thunk(this.compile(line.slice(eq + 1)), null));
    } else {
      this.print(this.evaluate(line), 1);
    }
  }

  private evaluate(text: string): ForcedValue {
    return this.compile(text)();
  }

  /** Parses and compiles the user's text in the repl's scope. */
  private compile(text: string): () => ForcedValue {
    try {
      return this.state.compileTextWithScope(text, this.options.cwd, this.currentScope());
    } catch (err) {
      // Only the input's own end counts; a file that ends too early (`:l`, `import`) is an error.
      if (err instanceof ParseError && err.message.includes("unexpected end of file")) throw new IncompleteInput();
      throw err;
    }
  }

  /** Prints a value to the depth asked; what was printed before an error is shown too. */
  private print(v: ForcedValue, maxDepth: number): void {
    const printer = new ReplPrinter(this.state, { maxDepth, colors: this.options.colors, showTrace: this.showTrace });
    try {
      printer.print(v);
    } finally {
      this.output.stdout(printer.out);
    }
    this.output.stdout("\n");
  }

  private loadFile(path: string): void {
    this.loadedFiles = this.loadedFiles.filter((p) => p !== path);
    this.loadedFiles.push(path);
    this.changes++;
    const value = this.state.evalFile(fileArg(this.state, path, this.options.cwd));
    this.addAttrsToScope(autoCallFunction(this.options.autoArgs, value));
  }

  /** Starts from an empty scope and loads every file again (a failing one drops the rest, as in Nix). */
  private reloadFiles(): void {
    this.variables.clear();
    this.scope = null;
    this.changes++;
    const files = this.loadedFiles;
    this.loadedFiles = [];
    files.forEach((file, i) => {
      if (i > 0) this.notice("");
      this.notice(`Loading '${file}'...`);
      this.loadFile(file);
    });
  }

  private addAttrsToScope(v: Value): void {
    const attrs = forceAttrs(v);
    attrs.names.forEach((name, i) => this.addVariable(name, attrs.values[i]));
    this.notice(`Added ${attrs.size} variables.`);
  }

  private addVariable(name: string, value: Value): void {
    this.variables.set(name, value);
    this.scope = null;
    this.changes++;
  }

  private currentScope(): NixAttrs {
    return (this.scope ??= NixAttrs.fromEntries([...this.variables.keys()], [...this.variables.values()]));
  }

  /** Nix's notice(): a line on stderr. */
  private notice(text: string): void {
    this.output.stderr(`${text}\n`);
  }
}
