// toXML: the `--xml` printer (strict, without source positions), collecting the contexts of
// the strings it writes.
import { valueToXml } from "../print/xml.ts";
import { makeString } from "../value/string.ts";
import { builtin, type Builtin } from "./registry.ts";

export const xmlBuiltins: Builtin[] = [
  builtin("__toXML", 1, (_state, v) => {
    const context = new Set<string>();
    const text = valueToXml(v, true, false, context);
    return makeString(text, context);
  }),
];
