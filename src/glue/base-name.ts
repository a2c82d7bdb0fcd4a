// Nix's baseNameOf on byte strings: the last component, ignoring one trailing slash.
export function baseNameOf(path: string): string {
  if (path === "") return "";
  let last = path.length - 1;
  if (path[last] === "/" && last > 0) last--;
  return path.slice(path.lastIndexOf("/", last) + 1, last + 1);
}
