// Looking inside a store path's contents as `nix store ls` and `nix store cat` do: a path below
// the root node, found entry by entry (symlinks are not followed), and the listing tree that
// Nix's NAR-listing formats print, built from castore instead of from a NAR.
import type { Directory } from "../castore/directory.ts";
import type { DirectoryService } from "../castore/directory-service.ts";
import { loadTree, treeDirectory } from "../castore/fs/render.ts";
import type { Node } from "../castore/node.ts";
import type { NarListingNode } from "../nix-compat/nar/listing.ts";

/**
 * The node at `subPath` (a byte string) below `root`: "" or "/" is the root itself; otherwise
 * "/a/b", where a trailing "/" requires a directory, as lstat(2) does. Undefined if there is none.
 */
export async function lookupNode(root: Node, subPath: string, directories: DirectoryService): Promise<Node | undefined> {
  if (subPath === "" || subPath === "/") return root;
  if (root.kind !== "directory") return undefined;
  // The whole tree in one recursive get: some backends give out directories only that way.
  const tree = await loadTree(root.digest, directories);
  const mustBeDirectory = subPath.endsWith("/");
  const components = (mustBeDirectory ? subPath.slice(0, -1) : subPath).split("/").slice(1);
  let node: Node | undefined = root;
  let path = "";
  for (const name of components) {
    if (node.kind !== "directory") return undefined;
    node = treeDirectory(tree, node.digest, path)
      .nodes()
      .find((entry) => entry.name === name);
    if (node === undefined) return undefined;
    path = path === "" ? name : `${path}/${name}`;
  }
  return mustBeDirectory && node.kind !== "directory" ? undefined : node;
}

/** The listing tree of `node` and everything below it (no NAR offsets: there is no NAR). */
export async function nodeListing(node: Node, directories: DirectoryService): Promise<NarListingNode> {
  const tree = node.kind === "directory" ? await loadTree(node.digest, directories) : new Map<string, Directory>();
  const convert = (node: Node, path: string): NarListingNode => {
    switch (node.kind) {
      case "file":
        return { type: "regular", executable: node.executable, size: node.size, narOffset: 0 };
      case "symlink":
        return { type: "symlink", target: Buffer.from(node.target, "latin1") };
      case "directory":
        return {
          type: "directory",
          entries: treeDirectory(tree, node.digest, path)
            .nodes()
            .map((child) => ({ name: Buffer.from(child.name, "latin1"), node: convert(child, path === "" ? child.name : `${path}/${child.name}`) })),
        };
    }
  };
  return convert(node, "");
}
