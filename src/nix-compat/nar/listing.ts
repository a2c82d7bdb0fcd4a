// The contents of a NAR as a tree (names, types, sizes, where file contents sit in the NAR),
// and the two ways `nix nar ls` (Nix 2.8) prints it: lines of paths (optionally long, like
// `ls -l`) and JSON. Both are byte-exact, including names that are not UTF-8.
import { NixCompatError } from "../errors.ts";
import { readNar, type NarReaderOptions, type NarVisitor } from "./reader.ts";

export type NarListingNode = NarListingRegular | NarListingSymlink | NarListingDirectory;

export interface NarListingRegular {
  type: "regular";
  executable: boolean;
  size: number;
  /** Offset of the file's contents in the NAR. */
  narOffset: number;
}

export interface NarListingSymlink {
  type: "symlink";
  target: Buffer;
}

export interface NarListingDirectory {
  type: "directory";
  /** In NAR order, which is byte order of the names. */
  entries: { name: Buffer; node: NarListingNode }[];
}

/** Reads the NAR from `source` into a listing tree (contents are skipped, not kept). */
export async function readNarListing(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options?: NarReaderOptions,
): Promise<NarListingNode> {
  const builder = new ListingBuilder();
  await readNar(source, builder, options);
  return builder.root!;
}

class ListingBuilder implements NarVisitor {
  root: NarListingNode | undefined;
  private readonly open: NarListingDirectory[] = [];
  private name: Buffer = Buffer.alloc(0);

  private add(node: NarListingNode): void {
    const parent = this.open.at(-1);
    if (parent) parent.entries.push({ name: this.name, node });
    else this.root = node;
  }

  directory(): void {
    const node: NarListingDirectory = { type: "directory", entries: [] };
    this.add(node);
    this.open.push(node);
  }

  entry(name: Buffer): void {
    this.name = name;
  }

  directoryEnd(): void {
    this.open.pop();
  }

  file(executable: boolean, size: number, narOffset: number): void {
    this.add({ type: "regular", executable, size, narOffset });
  }

  contents(): void {}

  fileEnd(): void {}

  symlink(target: Buffer): void {
    this.add({ type: "symlink", target });
  }
}

/**
 * The node at `path` inside the NAR, found as Nix 2.8 finds it: `""` and `"/"` are the root;
 * otherwise the path must be absolute and every component must name an entry (so `"/d/"`,
 * `"//d"` and `"/d/.."` are not found, and symlinks are not followed).
 */
export function findNarPath(root: NarListingNode, path: string): NarListingNode | undefined {
  if (path === "" || path === "/") return root;
  if (!path.startsWith("/")) throw new NixCompatError(`not an absolute path: '${path}'`);
  let node: NarListingNode | undefined = root;
  for (const component of path.slice(1).split("/")) {
    if (node.type !== "directory") return undefined;
    node = findEntry(node, Buffer.from(component));
    if (!node) return undefined;
  }
  return node;
}

function findEntry(directory: NarListingDirectory, name: Buffer): NarListingNode | undefined {
  const entries = directory.entries;
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const order = Buffer.compare(entries[middle].name, name);
    if (order === 0) return entries[middle].node;
    if (order < 0) low = middle + 1;
    else high = middle;
  }
  return undefined;
}

export interface TextListingOptions {
  /** List subdirectories too (`-R`). */
  recursive?: boolean;
  /** `ls -l` style lines with type, size and symlink targets (`-l`). */
  long?: boolean;
  /** Show a directory itself rather than its entries (`-d`). */
  directory?: boolean;
}

/** `nix nar ls` output for `path`: one line per node, `./`-relative for directories. */
export function formatNarListing(root: NarListingNode, path: string, options: TextListingOptions = {}): Buffer {
  const node = findNarPath(root, path);
  if (!node) throw new NixCompatError(`path '${path}' does not exist`);
  const lines: Buffer[] = [];
  const showEntries = (directory: NarListingDirectory, relative: Buffer): void => {
    for (const entry of directory.entries) show(entry.node, Buffer.concat([relative, SLASH, entry.name]));
  };
  const show = (node: NarListingNode, relative: Buffer): void => {
    if (options.long) {
      const size = node.type === "regular" ? node.size : 0;
      lines.push(Buffer.from(`${LONG_TYPE[longType(node)]} ${String(size).padStart(20)} `), relative);
      if (node.type === "symlink") lines.push(ARROW, node.target);
    } else lines.push(relative);
    lines.push(NEWLINE);
    if (options.recursive && node.type === "directory") showEntries(node, relative);
  };
  if (node.type === "directory") {
    if (options.directory) show(node, DOT);
    else showEntries(node, DOT);
  } else show(node, Buffer.from(path.slice(path.lastIndexOf("/") + 1)));
  return Buffer.concat(lines);
}

const LONG_TYPE = { regular: "-r--r--r--", executable: "-r-xr-xr-x", symlink: "lrwxrwxrwx", directory: "dr-xr-xr-x" };

function longType(node: NarListingNode): keyof typeof LONG_TYPE {
  return node.type === "regular" && node.executable ? "executable" : node.type;
}

const SLASH = Buffer.from("/");
const DOT = Buffer.from(".");
const ARROW = Buffer.from(" -> ");
const NEWLINE = Buffer.from("\n");

/**
 * `nix nar ls --json` output for `path` (no trailing newline, as Nix prints it). Without
 * `recursive`, a directory's entries are empty objects.
 */
export function formatNarListingJson(root: NarListingNode, path: string, recursive = false): Buffer {
  const node = findNarPath(root, path);
  if (!node) throw new NixCompatError(`path '${path}' does not exist in NAR`);
  const out: Buffer[] = [];
  const write = (text: string): void => {
    out.push(Buffer.from(text));
  };
  const visit = (node: NarListingNode): void => {
    if (node.type === "regular") {
      write(`{"type":"regular","size":${node.size}`);
      if (node.executable) write(`,"executable":true`);
      if (node.narOffset !== 0) write(`,"narOffset":${node.narOffset}`);
      write("}");
    } else if (node.type === "symlink") {
      write(`{"type":"symlink","target":`);
      out.push(jsonString(node.target));
      write("}");
    } else {
      write(`{"type":"directory","entries":{`);
      node.entries.forEach((entry, i) => {
        if (i > 0) write(",");
        out.push(jsonString(entry.name));
        write(":");
        if (recursive) visit(entry.node);
        else write("{}");
      });
      write("}}");
    }
  };
  visit(node);
  return Buffer.concat(out);
}

/**
 * A JSON string as Nix 2.8 writes one: `"` and `\` escaped, \n \r \t by name, other control
 * characters as \u00XX, and every other byte (including non-UTF-8) as it is.
 */
function jsonString(bytes: Buffer): Buffer {
  const out: number[] = [0x22];
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out.push(0x5c, b);
    else if (b === 0x0a) out.push(0x5c, 0x6e);
    else if (b === 0x0d) out.push(0x5c, 0x72);
    else if (b === 0x09) out.push(0x5c, 0x74);
    else if (b < 0x20) out.push(...Buffer.from(`\\u00${b.toString(16).padStart(2, "0")}`));
    else out.push(b);
  }
  out.push(0x22);
  return Buffer.from(out);
}
