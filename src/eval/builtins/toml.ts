// fromTOML: a TOML document as a set, read as Nix 2.8's toml11 reads it (../read/toml.ts).
// Nix has no dates or times, so a document containing one is an error.
import { EvalError } from "../errors.ts";
import { cString } from "../read/c-string.ts";
import { parseToml, type Table, TomlSyntaxError, type TomlValue } from "../read/toml.ts";
import { forceStringNoContext } from "../runtime/force.ts";
import { NixAttrs } from "../value/attrs.ts";
import { NixFloat } from "../value/float.ts";
import { normalizeInt } from "../value/int.ts";
import type { ForcedValue } from "../value/value.ts";
import { builtin, type Builtin } from "./registry.ts";

const PREFIX = "while parsing a TOML string: ";

function tableToAttrs(table: Table): NixAttrs {
  const names = [...table.keys()];
  return NixAttrs.fromEntries(
    names,
    names.map((name) => toNix(table.get(name) as TomlValue)),
  );
}

function toNix(v: TomlValue): ForcedValue {
  switch (v.type) {
    case "boolean":
      return v.data;
    case "integer":
      return normalizeInt(v.data);
    case "floating":
      return new NixFloat(v.data);
    case "string":
      return cString(v.data);
    case "array":
      return v.data.map(toNix);
    case "table":
      return tableToAttrs(v.data);
    default:
      throw new EvalError(`${PREFIX}Dates and times are not supported`);
  }
}

export const tomlBuiltins: Builtin[] = [
  builtin("fromTOML", 1, (_state, s) => {
    let table: Table;
    try {
      table = parseToml(forceStringNoContext(s));
    } catch (err) {
      if (err instanceof TomlSyntaxError) throw new EvalError(PREFIX + err.message);
      throw err;
    }
    return tableToAttrs(table);
  }),
];
