// Nix's (libutil) baseNameOf and dirOf on byte strings: plain text operations that never
// touch the file system or canonicalise.

/** The last component, ignoring one trailing slash ("" for "" and "/"). */
export function baseNameOf(path: string): string {
  if (path === "") return "";
  let last = path.length - 1;
  if (path[last] === "/" && last > 0) last--;
  return path.slice(path.lastIndexOf("/", last) + 1, last + 1);
}

/** Everything before the last slash: "." without one, "/" for a path in the root. */
export function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return ".";
  return slash === 0 ? "/" : path.slice(0, slash);
}
