// fetchTree's path inputs, as Nix 2.8's PathInputScheme: a local file or tree, added to the
// store as "source", with the newest modification time in it as lastModified. The other
// attributes (rev, revCount, narHash) may be given to make such a tree pass for the
// repository it was exported from.
import { lstatSync, readdirSync } from "node:fs";
import { PlainError } from "../../eval/errors.ts";
import { encodeBytes } from "../../nix-compat/byte-string.ts";
import { narHash } from "../../nix-compat/nar/writer.ts";
import { parseStorePath } from "../../nix-compat/store-path.ts";
import { nixCompat } from "../nix-compat-errors.ts";
import type { InputScheme } from "./fetch-tree.ts";
import { Input, type InputAttr, urlToString } from "./input.ts";

const PATH_ATTRIBUTES = new Set(["type", "path", "rev", "revCount", "lastModified", "narHash"]);

/** The newest mtime (in seconds) of `path` and everything below it, as Nix's dumpPathAndGetMtime finds it. */
function newestMtime(path: Buffer): number {
  const st = lstatSync(path, { bigint: true });
  let newest = Number(st.mtimeMs / 1000n);
  if (st.isDirectory()) {
    for (const entry of readdirSync(path, { encoding: "buffer" })) {
      newest = Math.max(newest, newestMtime(Buffer.concat([path, Buffer.from("/"), entry])));
    }
  }
  return newest;
}

/** A store path named "source" that is there already is used as it is (Nix: with lastModified 0). */
function isSourceInStore(path: string, storeDir: string, onDisk: (path: string) => boolean): boolean {
  try {
    return parseStorePath(path, storeDir).name === "source" && onDisk(path);
  } catch {
    return false;
  }
}

export const pathScheme: InputScheme = {
  type: "path",
  fromUrl(url) {
    if (url.scheme !== "path") return undefined;
    if (url.authority !== undefined && url.authority !== "") throw new PlainError(`path URL '${url.url}' should not have an authority ('${url.authority}')`);
    const attrs = new Map<string, InputAttr>([["type", "path"], ["path", url.path]]);
    for (const [name, value] of url.query) {
      if (name === "rev" || name === "narHash") attrs.set(name, value);
      else if (name === "revCount" || name === "lastModified") {
        if (!/^[0-9]+$/.test(value)) throw new PlainError(`path URL '${urlToString(url)}' has invalid parameter '${name}'`);
        attrs.set(name, Number(value));
      } else throw new PlainError(`path URL '${urlToString(url)}' has unsupported parameter '${name}'`);
    }
    return new Input(attrs);
  },
  check(input) {
    input.str("path");
    for (const name of input.attrs.keys()) if (!PATH_ATTRIBUTES.has(name)) throw new PlainError(`unsupported path input attribute '${name}'`);
  },
  toUrl(input) {
    const query = new Map<string, string>();
    for (const [name, value] of input.attrs) {
      if (name !== "path" && name !== "type") query.set(name, typeof value === "boolean" ? (value ? "1" : "0") : String(value));
    }
    return urlToString({ scheme: "path", path: input.str("path"), query, fragment: "" });
  },
  fetch(services, input) {
    const path = input.str("path");
    if (!path.startsWith("/")) throw new PlainError(`cannot fetch input '${this.toUrl(input)}' because it uses a relative path`);
    const { store } = services;
    const attrs = new Map(input.attrs);
    if (isSourceInStore(path, store.storeDir, (p) => store.isOnDisk(p))) {
      attrs.set("lastModified", 0);
      return { storePath: path, narHash: nixCompat(() => narHash(encodeBytes(path)).hash), input: new Input(attrs) };
    }
    const { storePath, hash } = store.addLocal("source", path, "recursive");
    attrs.set("lastModified", newestMtime(encodeBytes(path)));
    return { storePath, narHash: hash, input: new Input(attrs) };
  },
};
