// The fetchers: builtins that bring outside content (URLs, tarballs, git and Mercurial
// repositories, local trees) into the store during evaluation.
import type { Builtin } from "../../eval/builtins/registry.ts";
import type { GlueServices } from "../services.ts";
import { fetchMercurialBuiltin } from "./fetch-mercurial.ts";
import { fetchTreeBuiltins } from "./fetch-tree.ts";
import { fetchUrlBuiltins } from "./fetch-url.ts";

export function fetchBuiltins(services: GlueServices): Builtin[] {
  return [...fetchUrlBuiltins(services), ...fetchTreeBuiltins(services), fetchMercurialBuiltin(services)];
}
