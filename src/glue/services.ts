// What the store-aware builtins share within one evaluation: the store they add to, the
// experimental features that are on, where fetchers keep what they download, and how
// warnings reach the user.
import { PlainError } from "../eval/errors.ts";
import type { EvalStore } from "./eval-store.ts";

export interface GlueServices {
  readonly store: EvalStore;
  /** `--extra-experimental-features` (ca-derivations, impure-derivations…). */
  readonly experimentalFeatures: ReadonlySet<string>;
  /** The fetchers' cache directory (Nix's ~/.cache/nix). */
  readonly cacheDir: string;
  /** Prints `warning: …` as Nix does. */
  warn(message: string): void;
}

/** Nix's settings.requireExperimentalFeature. */
export function requireExperimentalFeature(services: GlueServices, feature: string): void {
  if (!services.experimentalFeatures.has(feature)) {
    throw new PlainError(`experimental Nix feature '${feature}' is disabled; use '--extra-experimental-features ${feature}' to override`);
  }
}
