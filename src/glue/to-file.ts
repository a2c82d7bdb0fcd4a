// builtins.toFile: a text file in the store. Store paths in the contents' context become its
// references; outputs of derivations cannot be referred to (their paths may not exist yet).
import { builtin, type Builtin } from "../eval/builtins/registry.ts";
import { EvalError } from "../eval/errors.ts";
import { forceString, forceStringNoContext } from "../eval/runtime/force.ts";
import { ContextString, stringContext, stringText } from "../eval/value/string.ts";
import type { GlueServices } from "./services.ts";

export function toFileBuiltin(services: GlueServices): Builtin {
  return builtin("__toFile", 2, (_state, nameArg, contentsArg) => {
    const name = forceStringNoContext(nameArg);
    const contents = forceString(contentsArg);
    const references = [...stringContext(contents)].sort();
    for (const reference of references) {
      if (!reference.startsWith("/")) {
        throw new EvalError(`in 'toFile': the file named '${name}' must not contain a reference to a derivation but contains (${reference})`);
      }
    }
    const path = services.store.addText(name, stringText(contents), references);
    return new ContextString(path, new Set([path]));
  });
}
