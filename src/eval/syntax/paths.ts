// The value of a path literal, which Nix 2.8 fixes at parse time: relative paths are made
// absolute against the directory of the file being parsed and canonicalised lexically (no
// symlinks are followed), `~/…` is glued to the home directory as written.

/** Nix's canonPath without symlink resolution: drops `.`, `//`, a trailing `/`, and applies `..`. */
export function canonPath(path: string): string {
  let out = "";
  let i = 0;
  const n = path.length;
  while (true) {
    while (i < n && path.charCodeAt(i) === 0x2f) i++;
    if (i >= n) break;
    let end = path.indexOf("/", i);
    if (end < 0) end = n;
    const component = path.slice(i, end);
    if (component === "..") out = out.slice(0, Math.max(0, out.lastIndexOf("/")));
    else if (component !== ".") out += "/" + component;
    i = end;
  }
  return out === "" ? "/" : out;
}

/**
 * The path a PATH token (`./a`, `a/b`, `/x/`, the `./a/` that starts `./a/${x}`) stands for;
 * a trailing slash of the token is kept, as Nix re-adds it.
 */
export function resolvePathLiteral(text: string, baseDir: string): string {
  const path = canonPath(text.charCodeAt(0) === 0x2f ? text : `${baseDir}/${text}`);
  return text.length > 1 && text.endsWith("/") ? `${path}/` : path;
}

/** The path an HPATH token (`~/a`, `~/` before an interpolation) stands for. */
export function resolveHomePathLiteral(text: string, homeDir: string): string {
  return homeDir + text.slice(1);
}
