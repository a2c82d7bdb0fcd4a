// builtins.derivation: Nix 2.8 defines it in Nix on top of derivationStrict, so that
// `drvPath` and the output paths are computed only when used. The result is the argument set
// extended with, per output, `outPath`, `drvPath`, `outputName` and `type = "derivation"`;
// every output's set also holds all the others by name, `all` lists them, and `drvAttrs` is
// the argument. The first output's set is the value.
import type { Builtin } from "../eval/builtins/registry.ts";

const DERIVATION_NIX = `
drvAttrs @ { outputs ? [ "out" ], ... }:
let
  strict = derivationStrict drvAttrs;
  outputSet = outputName: {
    name = outputName;
    value = shared // {
      outPath = builtins.getAttr outputName strict;
      drvPath = strict.drvPath;
      type = "derivation";
      inherit outputName;
    };
  };
  perOutput = map outputSet outputs;
  shared = drvAttrs // builtins.listToAttrs perOutput // {
    all = map (o: o.value) perOutput;
    inherit drvAttrs;
  };
in (builtins.head perOutput).value
`;

export const derivationBuiltin: Builtin = { name: "derivation", constant: (state) => state.evalText(DERIVATION_NIX, "/") };
