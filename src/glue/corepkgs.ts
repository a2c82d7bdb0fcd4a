// Nix 2.8's built-in Nix files: `<nix/NAME>` that no search path entry provides is
// /__corepkgs__/NAME, and the only such file is fetchurl.nix, a fixed-output derivation run by
// the builtin:fetchurl builder (what nixpkgs' bootstrap tools are fetched with). Its
// arguments, defaults and attributes are Nix's, since they decide the drv and output paths.
export const COREPKGS_PREFIX = "/__corepkgs__/";

const FETCHURL_NIX = `
{ system ? "" # not used any more
, url
, hash ? "" # SRI, naming its algorithm
, md5 ? "", sha1 ? "", sha256 ? "", sha512 ? ""
, outputHash ?
    if hash != "" then hash
    else if sha512 != "" then sha512
    else if sha1 != "" then sha1
    else if md5 != "" then md5
    else sha256
, outputHashAlgo ?
    if hash != "" then ""
    else if sha512 != "" then "sha512"
    else if sha1 != "" then "sha1"
    else if md5 != "" then "md5"
    else "sha256"
, executable ? false
, unpack ? false
, name ? baseNameOf (toString url)
}:
derivation {
  inherit name url executable unpack outputHash outputHashAlgo;
  builder = "builtin:fetchurl";
  system = "builtin";
  outputHashMode = if unpack || executable then "recursive" else "flat";
  urls = [ url ];
  # Proxy settings come from the caller's environment (a fixed output may be impure).
  impureEnvVars = [ "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy" ];
  preferLocalBuild = true;
}
`;

/** The text of a built-in file by its path, if it is one. */
export function corepkgsFile(path: string): string | undefined {
  return path === `${COREPKGS_PREFIX}fetchurl.nix` ? FETCHURL_NIX : undefined;
}
