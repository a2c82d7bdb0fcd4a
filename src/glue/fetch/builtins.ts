// The fetchers: builtins that bring outside content (URLs, tarballs, git repositories) into
// the store during evaluation.
import type { Builtin } from "../../eval/builtins/registry.ts";
import type { GlueServices } from "../services.ts";
import { fetchGitBuiltin } from "./fetch-git.ts";
import { fetchUrlBuiltins } from "./fetch-url.ts";

export function fetchBuiltins(services: GlueServices): Builtin[] {
  return [...fetchUrlBuiltins(services), fetchGitBuiltin(services)];
}
