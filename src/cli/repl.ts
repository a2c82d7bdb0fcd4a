// `tvix repl`: Nix 2.8's `nix repl`. This thread does the terminal — prompts, line editing,
// history and completion through node:readline — and a worker with a big stack evaluates
// (src/eval/repl/). Without a terminal it reads lines from stdin and echoes each after its
// prompt, so that the output reads as Nix's does (editline echoes there too).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import type { ReplSetup } from "../eval/repl/protocol.ts";
import { RemoteReplSession } from "../eval/repl/remote-session.ts";
import { bytesToUtf8, utf8ToBytes } from "../nix-compat/byte-string.ts";
import { defaultEvalSetup, parseEvalCommandLine } from "./eval-args.ts";

const HELP = `Usage: tvix repl [FILE…] [--arg NAME EXPR] [--argstr NAME STRING] [-I PATH | -I NAME=PATH]
                 [--show-trace]

Starts an interactive environment for evaluating Nix expressions, as 'nix repl' does. The
attributes of each FILE (called with the --arg values if it is a function) are in scope.
Type :? at the prompt for the commands.

  --arg NAME EXPR       argument for the functions the files are (a Nix expression)
  --argstr NAME STRING  argument for the functions the files are (a string)
  -I, --include PATH    add to the search path for <…> (NAME=PATH for <NAME/…>)
  --show-trace          show the evaluation trace of errors`;

const PROMPT = "nix-repl> ";
/** Lines that continue an unfinished expression line up under the first one, as in Nix. */
const CONTINUATION = " ".repeat(PROMPT.length);
/** How many lines of history are kept (Nix's editline keeps 1000). */
const HISTORY_SIZE = 1000;

export function parseReplArgs(argv: string[]): ReplSetup | undefined {
  const setup: ReplSetup = {
    ...defaultEvalSetup(),
    files: [],
    colors: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb",
  };
  const files = parseEvalCommandLine(argv, { command: "repl", help: HELP, setup, flag: () => false });
  if (!files) return undefined;
  setup.files = files;
  return setup;
}

/** Where the history is kept between sessions: $XDG_DATA_HOME/tvix/repl-history, as Nix keeps its own under nix/. */
function historyFile(): string {
  return join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "tvix", "repl-history");
}

/** The saved history, newest first as readline wants it (the file has the newest last). */
function loadHistory(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter((line) => line !== "").reverse().slice(0, HISTORY_SIZE);
  } catch {
    return [];
  }
}

function saveHistory(file: string, history: readonly string[]): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, history.toReversed().map((line) => `${line}\n`).join(""));
  } catch (err) {
    process.stderr.write(`warning: could not save the repl history to '${file}': ${(err as Error).message}\n`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const setup = parseReplArgs(argv);
  if (!setup) return 0;
  const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  process.stderr.write("Welcome to tvix repl (Nix 2.8). Type :? for help.\n\n");
  const session = new RemoteReplSession(setup, (fd, text) => (fd === 1 ? process.stdout : process.stderr).write(Buffer.from(text, "latin1")));
  try {
    if (!(await session.ready)) return 1;
    const history = historyFile();
    let latestHistory: string[] = [];
    const rl = createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal,
      history: terminal ? loadHistory(history) : [],
      historySize: HISTORY_SIZE,
      completer: (line: string, callback: (err: Error | null, result: [string[], string]) => void) => {
        session.complete(utf8ToBytes(line)).then(
          ({ word, completions }) => callback(null, [completions.map(bytesToUtf8), bytesToUtf8(word)]),
          (err: Error) => callback(err, [[], line]),
        );
      },
    });
    rl.on("history", (lines: string[]) => (latestHistory = lines));
    await readEvalPrint(rl, session, terminal);
    if (terminal) saveHistory(history, latestHistory);
    return 0;
  } finally {
    await session.close();
  }
}

/** Reads inputs until end of input or `:q`; an unfinished expression takes the following lines too. */
async function readEvalPrint(rl: Interface, session: RemoteReplSession, terminal: boolean): Promise<void> {
  let input = "";
  let evaluating = false;
  // Without a terminal, stdin may end (and readline close) while lines are still to be handled.
  let closed = false;
  rl.on("close", () => (closed = true));
  const prompt = (text: string): void => {
    if (!terminal) process.stdout.write(text);
    else if (!closed) {
      rl.setPrompt(text);
      rl.prompt();
    }
  };
  rl.on("SIGINT", () => {
    if (evaluating) {
      session.interrupt();
      return;
    }
    // At the prompt, Ctrl-C drops what was typed, unfinished lines included.
    input = "";
    rl.write(null, { ctrl: true, name: "e" });
    rl.write(null, { ctrl: true, name: "u" });
    process.stdout.write("\n\n");
    prompt(PROMPT);
  });
  prompt(PROMPT);
  for await (const line of rl) {
    if (!terminal) process.stdout.write(`${line}\n`);
    input += `${line}\n`;
    evaluating = true;
    const outcome = await session.input(utf8ToBytes(input));
    evaluating = false;
    if (outcome === "quit") return;
    if (outcome === "done") input = "";
    prompt(input === "" ? PROMPT : CONTINUATION);
  }
  // End of input (Ctrl-D): end the prompt's line, as a shell would.
  if (terminal) process.stdout.write("\n");
}
