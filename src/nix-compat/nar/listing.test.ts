import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { NixCompatError } from "../errors.ts";
import { createSampleTree, narBytes, runProcess } from "../../../test/support/nar.ts";
import { createRandomTree } from "../../../test/support/random-tree.ts";
import { findNarPath, formatNarListing, formatNarListingJson, readNarListing, type NarListingNode } from "./listing.ts";

const NIX_LS = ["--extra-experimental-features", "nix-command", "nar", "ls"];
const OPTION_SETS: string[][] = [[], ["-R"], ["-l"], ["-R", "-l"], ["-d"], ["-d", "-R", "-l"], ["--json"], ["--json", "-R"]];

/** What we print for `nix nar ls OPTIONS nar PATH`, or the error message. */
function ours(root: NarListingNode, options: string[], path: string): { stdout: Buffer } | { error: string } {
  try {
    const recursive = options.includes("-R");
    if (options.includes("--json")) return { stdout: formatNarListingJson(root, path, recursive) };
    return { stdout: formatNarListing(root, path, { recursive, long: options.includes("-l"), directory: options.includes("-d") }) };
  } catch (err) {
    assert.ok(err instanceof NixCompatError);
    return { error: err.message };
  }
}

describe("NAR listing", () => {
  let work: string;
  const nars: { file: string; root: NarListingNode; paths: string[] }[] = [];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "tvix-nar-listing-"));
    const tree = join(work, "tree");
    createSampleTree(tree);
    createRandomTree(join(tree, "random"), { seed: 7, entries: 40 });
    const file = join(work, "file");
    writeFileSync(file, "lone");
    const link = join(work, "link");
    symlinkSync("/some/where", link);
    const paths = ["/", "", "/a", "/sub", "/sub/deeper", "/sub/deeper/zero", "/sub/link", "/x", "/empty", "/random", "/missing", "sub", "/sub/", "//sub", "/sub/../a", "/sub/link/x"];
    for (const [path, queries] of [[tree, paths], [file, ["/", "", "/a"]], [link, ["/", "/x"]]] as const) {
      const narFile = `${path}.nar`;
      const nar = narBytes(path);
      writeFileSync(narFile, nar);
      nars.push({ file: narFile, root: await readNarListing([nar]), paths: [...queries] });
    }
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("prints what nix nar ls prints, for every option and path, byte for byte", async () => {
    let compared = 0;
    for (const { file, root, paths } of nars) {
      for (const path of paths) {
        for (const options of OPTION_SETS) {
          const nix = await runProcess("nix", [...NIX_LS, ...options, file, path]);
          const mine = ours(root, options, path);
          const what = `nix nar ls ${options.join(" ")} ${file} '${path}'`;
          if ("stdout" in mine) {
            assert.equal(nix.status, 0, `${what}: Nix failed (${nix.stderr}) but we printed`);
            assert.deepEqual(mine.stdout, nix.stdout, what);
          } else {
            assert.notEqual(nix.status, 0, `${what}: Nix succeeded but we failed with ${mine.error}`);
            assert.ok(nix.stderr.includes(`error: ${mine.error}`), `${what}: Nix says ${nix.stderr}, we say ${mine.error}`);
          }
          compared++;
        }
      }
    }
    assert.equal(compared, (16 + 3 + 2) * OPTION_SETS.length);
  });

  it("does not follow symlinks or accept non-canonical paths when looking up", () => {
    const root = nars[0].root;
    assert.equal(findNarPath(root, "/sub/link")?.type, "symlink");
    for (const path of ["/sub/link/x", "/sub/", "//sub", "/sub/./deeper", "/sub/../a"]) assert.equal(findNarPath(root, path), undefined, path);
    assert.throws(() => findNarPath(root, "sub"), /not an absolute path: 'sub'/);
  });
});
