// The error type of nix-compat: bad input in a Nix format (a hash, store path, NAR, ATerm,
// narinfo, key). Its message is meant for users and names what was wrong and where.
export class NixCompatError extends Error {
  override name = "NixCompatError";
}
