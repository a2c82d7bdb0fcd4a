// Parsing as Nix 2.8 does it before evaluating anything: the grammar, then variable
// resolution against the global names. Any failure is a ParseError with Nix's message.
import { homedir } from "node:os";
import { dirname } from "node:path";
import type { Source } from "../position.ts";
import type { Expr } from "./ast.ts";
import { NIX_GLOBAL_NAMES } from "./global-names.ts";
import { ParseError } from "./parse-error.ts";
import { Parser } from "./parser.ts";
import { resolveScopes } from "./scope.ts";

export interface ParseOptions {
  /** For relative path literals; default the file's directory, or the working directory for text. */
  baseDir?: string;
  /** For `~/…` path literals; default $HOME (as Nix's getHome). */
  homeDir?: string;
  /** The names in scope everywhere; default Nix 2.8's. */
  globals?: readonly string[];
}

export function parseNix(source: Source, options: ParseOptions = {}): Expr {
  const baseDir = options.baseDir ?? (source.path !== null ? dirname(source.path) : process.cwd());
  const homeDir = options.homeDir ?? process.env.HOME ?? homedir();
  try {
    const expr = new Parser(source, { baseDir, homeDir }).parse();
    resolveScopes(expr, options.globals ?? NIX_GLOBAL_NAMES);
    return expr;
  } catch (err) {
    // Nix's own limit on nesting ("memory exhausted") normally comes first; this is for a
    // JavaScript stack smaller than the one the parser was meant to run on.
    if (err instanceof RangeError) throw new ParseError("expression nested too deeply for the parser's stack", source.base);
    throw err;
  }
}
