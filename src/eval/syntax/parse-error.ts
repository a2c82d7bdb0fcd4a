// The error of a file that is not valid Nix: a syntax error, a malformed literal, a duplicate
// attribute or formal, an undefined variable. Nix 2.8 raises all of these while parsing,
// before anything is evaluated, and `builtins.tryEval` does not catch them.
import { EvalError } from "../errors.ts";

export class ParseError extends EvalError {
  override name = "ParseError";
}
