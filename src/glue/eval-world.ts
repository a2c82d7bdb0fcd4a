// The glue side of `tvix eval`: the evaluation worker loads this module (EvalRequest.world)
// and evaluates with the store-aware builtins and EvalIO it returns.
import type { EvalRequest, EvalWorld } from "../eval/instantiate.ts";
import { utf8ToBytes } from "../nix-compat/byte-string.ts";
import { createGlue } from "./glue.ts";

export function createEvalWorld(request: EvalRequest): EvalWorld {
  const glue = createGlue({ experimentalFeatures: request.experimentalFeatures?.map(utf8ToBytes) });
  return { io: glue.io, extraBuiltins: glue.builtins };
}
