import assert from "node:assert/strict";
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { NixCompatError } from "../errors.ts";
import { describeTree, nixDump, nixRestore, useSampleNar } from "../../../test/support/nar.ts";
import { restoreNar } from "./restore.ts";

describe("NAR restore", () => {
  const sample = useSampleNar("nar-restore");

  it("gives nix-store --restore's modes (0755, 0644, 0755) even under a strict umask", async () => {
    const theirs = join(sample.work, "by-nix");
    assert.equal((await nixRestore(sample.nar, theirs)).status, 0);
    const expected = describeTree(theirs);
    assert.match(expected.join("\n"), /\. directory 755[\s\S]* file 755 /);
    for (const umask of [0o022, 0o077, 0o000]) {
      const previous = process.umask(umask);
      try {
        const ours = join(sample.work, `umask-${umask.toString(8)}`);
        assert.equal(await restoreNar([sample.nar], ours), sample.nar.length);
        assert.deepEqual(describeTree(ours), expected, `umask ${umask.toString(8)}`);
      } finally {
        process.umask(previous);
      }
    }
  });

  it("restores a lone file or symlink as the target itself", async () => {
    const file = join(sample.work, "file.out");
    await restoreNar([await nixDump(join(sample.tree, "a"))], file);
    assert.equal(readFileSync(file, "utf8"), "hello");
    assert.equal(lstatSync(file).mode & 0o777, 0o644);
    const link = join(sample.work, "link.out");
    await restoreNar([await nixDump(join(sample.tree, "sub/link"))], link);
    assert.equal(readlinkSync(link), "../a\x02\n");
  });

  it("refuses a target that exists, in any form, and leaves it alone", async () => {
    const parent = join(sample.work, "taken");
    mkdirSync(parent);
    mkdirSync(join(parent, "empty-dir"));
    writeFileSync(join(parent, "file"), "mine");
    symlinkSync("nowhere", join(parent, "dangling"));
    const before = describeTree(parent);
    for (const name of ["empty-dir", "file", "dangling"]) {
      await assert.rejects(restoreNar([sample.nar], join(parent, name)), (err: Error) => err instanceof NixCompatError && err.message.endsWith("it already exists"));
    }
    assert.deepEqual(describeTree(parent), before);
  });

  it("says so when the target's directory does not exist", async () => {
    await assert.rejects(restoreNar([sample.nar], join(sample.work, "missing/target")), /directory '.*\/missing' does not exist/);
    assert.ok(!readdirSync(sample.work).some((name) => name.startsWith(".tvix-restore-")));
  });
});
