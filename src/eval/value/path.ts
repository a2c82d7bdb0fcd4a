// A Nix path value: an absolute, canonical file-system path (as a byte string). Paths are a
// separate type from strings: `typeOf ./x == "path"`, and `"${./x}"` copies the file to the
// store, while `toString ./x` does not.

export class NixPath {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }
}
