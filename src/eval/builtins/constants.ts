// The constants of the global scope: true/false/null and builtins.{currentSystem,
// currentTime, nixVersion, storeDir, langVersion, nixPath}.
import { NixAttrs } from "../value/attrs.ts";
import type { Builtin } from "./registry.ts";

export const constantBuiltins: Builtin[] = [
  { name: "true", constant: () => true },
  { name: "false", constant: () => false },
  { name: "null", constant: () => null },
  { name: "__currentSystem", constant: (state) => state.currentSystem },
  { name: "__currentTime", constant: () => Math.floor(Date.now() / 1000) },
  { name: "__nixVersion", constant: () => "2.8.0" },
  { name: "__storeDir", constant: (state) => state.io.storeDir },
  // Bumped by Nix whenever the language changes; 2.8 has 6.
  { name: "__langVersion", constant: () => 6 },
  { name: "__nixPath", constant: (state) => state.searchPath.map((entry) => NixAttrs.of({ path: entry.path, prefix: entry.prefix })) },
];
