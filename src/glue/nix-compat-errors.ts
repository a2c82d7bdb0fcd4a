// nix-compat reports bad input (an invalid store path name, a malformed hash) as
// NixCompatError; to the evaluator that is an evaluation error, printed as Nix prints it.
import { EvalError } from "../eval/errors.ts";
import { NixCompatError } from "../nix-compat/errors.ts";

/** Runs `fn`, turning a NixCompatError into an EvalError with the same message. */
export function nixCompat<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NixCompatError) throw new EvalError(err.message);
    throw err;
  }
}
