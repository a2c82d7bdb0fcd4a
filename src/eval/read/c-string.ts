// Nix 2.8 keeps string values as C strings, so a NUL byte that a parser decodes (JSON's
// `\u0000`, TOML's `\u0000`) ends the string. Attribute names are kept whole.

export function cString(s: string): string {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
}
