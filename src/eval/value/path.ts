// A Nix path value: an absolute, canonical file-system path (as a byte string). Paths are a
// separate type from strings: `typeOf ./x == "path"`, and `"${./x}"` copies the file to the
// store, while `toString ./x` does not.

export class NixPath {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }
}

/**
 * Nix's canonPath without symlink resolution: collapses `//`, `.` and `..`, drops a trailing
 * slash; "/" stays "/". The input must be absolute.
 */
export function canonicalizePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}
