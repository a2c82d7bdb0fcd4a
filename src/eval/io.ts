// EvalIO: everything the evaluator needs from the outside world, as one synchronous
// interface. The evaluator never touches the file system or a store directly, so glue code
// can back it with a real store, a remote one, or an in-memory fake for tests.

export type FileType = "regular" | "directory" | "symlink" | "unknown";

export interface EvalIO {
  /** The store directory, normally "/nix/store". */
  readonly storeDir: string;
  pathExists(path: string): boolean;
  /** The file's bytes as a binary string (one char per byte). */
  readFile(path: string): string;
  /** The entries of a directory with their types (not following symlinks). */
  readDir(path: string): Map<string, FileType>;
  /** The type of a path without following a final symlink; throws if it does not exist. */
  fileType(path: string): FileType;
  /** The target of the symlink at `path`, as stored in the link. */
  readLink(path: string): string;
  /**
   * Adds a file or directory to the store like Nix's copyPathToStore (recursive NAR, sha256)
   * and returns its store path. A read-only implementation only computes the path.
   */
  importPath(path: string, name: string): string;
}
