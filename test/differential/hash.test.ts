// Hashes and store paths of seeded random trees and files, tvix against real Nix 2.8:
// `nix hash path|file` in every algorithm and encoding, `nix hash to-*` conversions, and the
// store paths of `nix-store --add`, `--add-fixed [--recursive]` and `nix store add-path`.
import assert from "node:assert/strict";
import { isUtf8 } from "node:buffer";
import { lstatSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, test } from "node:test";
import { HASH_ALGOS, hashBytes } from "../../src/nix-compat/hash.ts";
import { narHash } from "../../src/nix-compat/nar/writer.ts";
import { validateName } from "../../src/nix-compat/store-path.ts";
import { createRandomTree } from "../support/random-tree.ts";
import { SeededRandom } from "../support/seeded-random.ts";
import { nix, nixClassic, tvix } from "../support/nix.ts";

const TREES = 120;
let dir: string;
let trees: string[];
let files: string[];

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tvix-hash-"));
  trees = [];
  for (let seed = 0; seed < TREES; seed++) {
    const path = join(dir, `t${seed}`);
    // Mostly directories; every fifth root a lone file, every seventh a symlink.
    const root = seed % 5 === 4 ? "regular" : seed % 7 === 6 ? "symlink" : "directory";
    createRandomTree(path, { seed: 1000 + seed, entries: 12, root });
    trees.push(path);
  }
  files = trees.filter((p) => lstatSync(p).isFile());
  for (const tree of trees.slice(0, 30)) {
    if (!lstatSync(tree).isDirectory()) continue;
    // Only names that are UTF-8: a command line built by Node cannot carry other bytes.
    for (const name of readdirSync(tree, { encoding: "buffer" }).filter((n) => isUtf8(n))) {
      const path = join(tree, name.toString("utf8"));
      if (lstatSync(path).isFile()) files.push(path);
    }
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

test("NAR hashes of trees equal `nix hash path` in every algorithm", () => {
  for (const algo of HASH_ALGOS) {
    const expected = nix(["hash", "path", "--type", algo, "--base16", ...trees]);
    assert.deepEqual(trees.map((t) => narHash(t, algo).hash.encode("base16")), expected, algo);
  }
});

test("`tvix hash path|file` print what `nix hash path|file` prints, in every encoding", () => {
  const some = trees.slice(0, 25);
  for (const algo of HASH_ALGOS) {
    for (const encoding of ["--base16", "--base32", "--base64", "--sri"]) {
      assert.deepEqual(tvix(["hash", "path", "--type", algo, encoding, ...some]), nix(["hash", "path", "--type", algo, encoding, ...some]), `path ${algo} ${encoding}`);
      assert.deepEqual(tvix(["hash", "file", "--type", algo, encoding, ...files]), nix(["hash", "file", "--type", algo, encoding, ...files]), `file ${algo} ${encoding}`);
    }
  }
  assert.deepEqual(tvix(["hash", "path", ...some]), nix(["hash", "path", ...some]), "defaults");
});

test("`tvix hash convert` agrees with `nix hash to-*` from every input form", () => {
  const random = new SeededRandom(5);
  const hashes = HASH_ALGOS.map((algo) => hashBytes(algo, String(random.next())));
  const inputs = hashes.flatMap((h) => [h.format("base16"), h.format("nix32"), h.format("base64"), h.toSri()]);
  for (const [to, nixCommand] of [["base16", "to-base16"], ["base32", "to-base32"], ["base64", "to-base64"], ["sri", "to-sri"]]) {
    assert.deepEqual(tvix(["hash", "convert", "--to", to, ...inputs]), nix(["hash", nixCommand, ...inputs]), to);
  }
  const bare = hashes.filter((h) => h.algo === "sha1").map((h) => h.encode("nix32"));
  assert.deepEqual(tvix(["hash", "convert", "--hash-algo", "sha1", "--to", "base16", ...bare]), nix(["hash", "to-base16", "--type", "sha1", ...bare]));
});

test("`tvix store add --dry-run` gives Nix's store paths", () => {
  // Recursive sha256 ("source" paths), as `nix-store --add` makes them.
  assert.deepEqual(tvix(["store", "add", "--dry-run", ...trees]), nixClassic("nix-store", ["--add", ...trees]));
  for (const algo of ["md5", "sha1", "sha512"]) {
    const some = trees.slice(0, 20);
    assert.deepEqual(tvix(["store", "add", "--dry-run", "--hash-algo", algo, ...some]), nixClassic("nix-store", ["--add-fixed", "--recursive", algo, ...some]), `recursive ${algo}`);
  }
  const storable = files.filter((f) => isValidName(basename(f)));
  assert.ok(storable.length > 10);
  for (const algo of HASH_ALGOS) {
    assert.deepEqual(tvix(["store", "add", "--dry-run", "--flat", "--hash-algo", algo, ...storable]), nixClassic("nix-store", ["--add-fixed", algo, ...storable]), `flat ${algo}`);
  }
  assert.deepEqual(tvix(["store", "add", "--dry-run", "--name", "renamed", trees[0]]), nix(["store", "add-path", "--dry-run", "--name", "renamed", trees[0]]));
});

test("names Nix refuses are refused with Nix's reason", () => {
  const unstorable = files.filter((f) => !isValidName(basename(f)));
  assert.ok(unstorable.length > 3);
  for (const file of unstorable) {
    const nixError = failure(() => nixClassic("nix-store", ["--add-fixed", "sha256", file]));
    const tvixError = failure(() => tvix(["store", "add", "--dry-run", "--flat", file]));
    assert.equal(tvixError.status, 1);
    assert.equal(tvixError.stderr, nixError.stderr);
  }
});

function failure(run: () => unknown): { status: number; stderr: string } {
  try {
    run();
  } catch (err) {
    return err as { status: number; stderr: string };
  }
  assert.fail("the command succeeded");
}

function isValidName(name: string): boolean {
  try {
    validateName(name);
    return true;
  } catch {
    return false;
  }
}
