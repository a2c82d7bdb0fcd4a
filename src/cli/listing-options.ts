// The options `nix nar ls` and `nix store ls` share, and the output they choose: one place for
// `tvix nar ls` and `tvix store ls`. Loads the listing formats only when a listing is printed.
import type { NarListingNode } from "../nix-compat/nar/listing.ts";
import { UsageError } from "./errors.ts";

export const LISTING_OPTIONS = {
  recursive: { type: "boolean", short: "R" },
  long: { type: "boolean", short: "l" },
  directory: { type: "boolean", short: "d" },
  json: { type: "boolean" },
} as const;

export const LISTING_OPTIONS_HELP = `  -R, --recursive  list subdirectories too
  -l, --long       show type, size and symlink targets, like 'ls -l'
  -d, --directory  show a directory itself rather than its entries`;

export interface ListingValues {
  recursive?: boolean;
  long?: boolean;
  directory?: boolean;
  json?: boolean;
}

/** Refuses contradictory options (before any work is done). */
export function checkListingOptions(values: ListingValues): void {
  if (values.json && values.directory) throw new UsageError("'--directory' is useless with '--json'");
}

/** The listing of `path` inside `root` as the options ask: JSON, or lines (long, recursive). */
export async function formatListing(root: NarListingNode, path: string, values: ListingValues): Promise<Buffer> {
  const { formatNarListing, formatNarListingJson } = await import("../nix-compat/nar/listing.ts");
  const { recursive = false, long = false, directory = false } = values;
  return values.json ? formatNarListingJson(root, path, recursive) : formatNarListing(root, path, { recursive, long, directory });
}
