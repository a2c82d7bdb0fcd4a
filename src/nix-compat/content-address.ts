// Content addresses as Nix writes them in narinfo `CA:` fields and the store database:
// `text:sha256:<hash>` (builtins.toFile, .drv files) and `fixed:[r:]<algo>:<hash>` (fixed-output
// and added paths). Nix 2.8's `parseContentAddress` / `renderContentAddress`.
import { NixCompatError } from "./errors.ts";
import { type Hash, parseHash, parseHashAlgo } from "./hash.ts";
import type { FileIngestionMethod } from "./store-path.ts";

/** `text` content is always hashed flat with sha256; `fixed` content is flat or a NAR. */
export interface ContentAddress {
  method: "text" | FileIngestionMethod;
  hash: Hash;
}

export function parseContentAddress(text: string): ContentAddress {
  const fail = (why: string): never => {
    throw new NixCompatError(`invalid content address '${text}': ${why}`);
  };
  const colon = text.indexOf(":");
  if (colon < 0) fail("expected 'text:…' or 'fixed:…'");
  const prefix = text.slice(0, colon);
  let rest = text.slice(colon + 1);
  let method: ContentAddress["method"];
  if (prefix === "text") {
    method = "text";
  } else if (prefix === "fixed") {
    method = rest.startsWith("r:") ? "recursive" : "flat";
    if (method === "recursive") rest = rest.slice(2);
  } else {
    return fail(`unknown prefix '${prefix}' (expected 'text' or 'fixed')`);
  }
  const algoEnd = rest.indexOf(":");
  if (algoEnd < 0) fail("expected '<algo>:<hash>' after the method");
  let algo;
  try {
    algo = parseHashAlgo(rest.slice(0, algoEnd));
  } catch (err) {
    return fail((err as Error).message);
  }
  if (method === "text" && algo !== "sha256") fail(`text content addresses use sha256, not ${algo}`);
  // The digest is unprefixed and not SRI; it may be base16, nix32 or base64, told apart by length.
  const digest = rest.slice(algoEnd + 1);
  if (digest.includes(":")) fail(`'${digest}' is not a ${algo} digest`);
  try {
    return { method, hash: parseHash(`${algo}:${digest}`) };
  } catch (err) {
    return fail((err as Error).message);
  }
}

/** The form Nix prints: the digest in nix32, prefixed by its algorithm. */
export function formatContentAddress(ca: ContentAddress): string {
  const hash = ca.hash.format("nix32");
  switch (ca.method) {
    case "text":
      return `text:${hash}`;
    case "flat":
      return `fixed:${hash}`;
    case "recursive":
      return `fixed:r:${hash}`;
  }
}
