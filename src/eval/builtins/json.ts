// toJSON and fromJSON. toJSON is the `--json` printer (strict, collecting the contexts of the
// strings it writes); fromJSON parses as Nix 2.8's JSON library does (../read/json.ts).
import { valueToJson } from "../print/json.ts";
import { JsonParseError, parseJson } from "../read/json.ts";
import { currentCallPos } from "../runtime/call-stack.ts";
import { forceStringNoContext } from "../runtime/force.ts";
import { makeString } from "../value/string.ts";
import { builtin, type Builtin } from "./registry.ts";

export const jsonBuiltins: Builtin[] = [
  builtin("__toJSON", 1, (state, v) => {
    const context = new Set<string>();
    const text = valueToJson(state, v, true, context);
    return makeString(text, context);
  }),
  builtin("__fromJSON", 1, (_state, s) => {
    const text = forceStringNoContext(s);
    try {
      return parseJson(text);
    } catch (err) {
      if (err instanceof JsonParseError) err.addTrace(currentCallPos(), "while decoding a JSON string");
      throw err;
    }
  }),
];
