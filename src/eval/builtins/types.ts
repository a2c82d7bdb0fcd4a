// Type predicates: typeOf and the isX family.
import { NixAttrs } from "../value/attrs.ts";
import { NixFloat } from "../value/float.ts";
import { NixPath } from "../value/path.ts";
import { force } from "../value/thunk.ts";
import { isFunction, isString, typeOf } from "../value/value.ts";
import { builtin, type Builtin } from "./registry.ts";

export const typeBuiltins: Builtin[] = [
  builtin("__typeOf", 1, (_state, v) => typeOf(force(v))),
  builtin("isNull", 1, (_state, v) => force(v) === null),
  builtin("__isFunction", 1, (_state, v) => isFunction(force(v))),
  builtin("__isInt", 1, (_state, v) => {
    const f = force(v);
    return typeof f === "number" || typeof f === "bigint";
  }),
  builtin("__isFloat", 1, (_state, v) => force(v) instanceof NixFloat),
  builtin("__isString", 1, (_state, v) => isString(force(v))),
  builtin("__isBool", 1, (_state, v) => typeof force(v) === "boolean"),
  builtin("__isPath", 1, (_state, v) => force(v) instanceof NixPath),
  builtin("__isAttrs", 1, (_state, v) => force(v) instanceof NixAttrs),
  builtin("__isList", 1, (_state, v) => Array.isArray(force(v))),
];
