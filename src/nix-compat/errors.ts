// The error type of nix-compat: bad input in a Nix format (a hash, store path, NAR, ATerm,
// narinfo, key). Its message is meant for users and names what was wrong and where. Like all
// Nix data it is a byte string (../byte-string.ts): it may quote names and values byte for byte,
// as Nix does, so it is written out as latin1.
export class NixCompatError extends Error {
  override name = "NixCompatError";
}
