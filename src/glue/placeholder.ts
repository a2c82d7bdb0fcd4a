// builtins.placeholder: the string a builder finds replaced by the path of an output.
import { builtin, type Builtin } from "../eval/builtins/registry.ts";
import { forceStringNoContext } from "../eval/runtime/force.ts";
import { hashPlaceholder } from "../nix-compat/derivation/placeholder.ts";

export const placeholderBuiltin: Builtin = builtin("placeholder", 1, (_state, output) => hashPlaceholder(forceStringNoContext(output)));
