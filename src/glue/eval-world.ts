// The glue side of `tvix eval`, `tvix repl`, `tvix instantiate` and `tvix build`: the evaluation worker loads this module (EvalSetup.world)
// and evaluates with the store-aware builtins and EvalIO it returns.
import type { EvalSetup, EvalWorld } from "../eval/instantiate.ts";
import { utf8ToBytes } from "../nix-compat/byte-string.ts";
import { createGlue } from "./glue.ts";
import { streamPendingToParent } from "./pending-stream.ts";
import { realiseThroughParent } from "./realise-channel.ts";

export function createEvalWorld(request: EvalSetup): EvalWorld {
  const glue = createGlue({ experimentalFeatures: request.experimentalFeatures?.map(utf8ToBytes), realiser: request.realiseStorePaths ? realiseThroughParent : undefined });
  if (request.streamStorePaths) streamPendingToParent(glue.store.pending);
  return { io: glue.io, extraBuiltins: glue.builtins };
}
