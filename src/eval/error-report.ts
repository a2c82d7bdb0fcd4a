// Error messages as Nix 2.8 prints them (showErrorInfo without colours): the message, the
// position with the surrounding source lines and a caret, and with --show-trace the trace
// frames, outermost first.
import { utf8ToBytes } from "../nix-compat/byte-string.ts";
import { filterAnsiEscapes } from "../nix-compat/log-text.ts";
import { EvalError } from "./errors.ts";
import { locate, type Pos } from "./position.ts";
import { resourceExhaustion } from "./resource-exhaustion.ts";

// The report is a byte string like the messages in it; these are the UTF-8 bytes of Nix's text.
const STRING_ORIGIN = utf8ToBytes("«string»");
const ELLIPSIS = utf8ToBytes("…");

function atLine(pos: Pos): string[] {
  const where = locate(pos);
  if (!where) return [];
  const origin = where.source.path ?? STRING_ORIGIN;
  // Lines as getline() reads them: a final newline does not start another line.
  const lines = where.source.text.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  const out = ["", `at ${origin}:${where.line}:${where.column}:`, ""];
  const codeLine = (n: number) => `${String(n).padStart(6)}| ${lines[n - 1]}`;
  if (where.line > 1) out.push(codeLine(where.line - 1));
  out.push(codeLine(where.line));
  out.push(`      |${" ".repeat(where.column)}^`);
  if (where.line < lines.length) out.push(codeLine(where.line + 1));
  return out;
}

/** The bytes Nix writes to stderr for an evaluation error (with a final newline), as a byte string. */
export function formatEvalError(err: EvalError, showTrace: boolean): string {
  const lines = [...err.message.split("\n"), ...atLine(err.pos)];
  if (showTrace) {
    // Innermost first, each frame after a blank line.
    for (const frame of err.trace) lines.push("", `${ELLIPSIS} ${frame.message}`, ...atLine(frame.pos));
  }
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  const text = lines.map((line, i) => (i === 0 ? `error: ${line}` : `       ${line}`).trimEnd()).join("\n");
  const hint = !showTrace && err.trace.length > 0 ? "\n(use '--show-trace' to show detailed location information)" : "";
  return `${filterAnsiEscapes(`${text}${hint}`)}\n`;
}

/**
 * The report of what ended an evaluation: an evaluation error, or the stack or memory running
 * out (an infinite or too deep recursion, a too large value). Undefined for anything else,
 * which is a bug of ours.
 */
export function formatEvalFailure(err: unknown, showTrace: boolean): string | undefined {
  if (err instanceof EvalError) return formatEvalError(err, showTrace);
  const exhausted = resourceExhaustion(err);
  return exhausted === undefined ? undefined : `error: ${exhausted}\n`;
}
