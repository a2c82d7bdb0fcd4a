import assert from "node:assert/strict";
import { test } from "node:test";
import { blake3 } from "./digest.ts";
import { Directory } from "./directory.ts";
import { LeavesToRootValidator, RootToLeavesValidator } from "./directory-graph.ts";

const leaf = Directory.fromNodes([{ kind: "symlink", name: "l", target: "t" }]);
const middle = Directory.fromNodes([leaf.toNode("a"), leaf.toNode("b")]);
const root = Directory.fromNodes([middle.toNode("m"), leaf.toNode("l")]);

test("leaves to root: a diamond is accepted, repeated directories once", () => {
  const validator = new LeavesToRootValidator();
  for (const d of [leaf, leaf, middle, root]) validator.add(d);
  const { root: found, directories } = validator.finish();
  assert.equal(found, root);
  assert.equal(directories.length, 3);
});

test("leaves to root: unknown children, wrong sizes, strays and empty streams are refused", () => {
  assert.throws(() => new LeavesToRootValidator().add(middle), /not sent before/);
  const wrongSize = Directory.fromNodes([{ ...leaf.toNode("a"), size: 7 }]);
  const validator = new LeavesToRootValidator();
  validator.add(leaf);
  assert.throws(() => validator.add(wrongSize), /size 7/);
  const strays = new LeavesToRootValidator();
  strays.add(leaf);
  strays.add(Directory.fromNodes([{ kind: "symlink", name: "x", target: "y" }]));
  assert.throws(() => strays.finish(), /not below the root/);
  assert.throws(() => new LeavesToRootValidator().finish(), /no directories/);
});

test("root to leaves: the root first, then only what was referred to, and nothing missing", () => {
  const ok = new RootToLeavesValidator(root.digest());
  for (const d of [root, middle, leaf]) ok.add(d);
  ok.finish();
  assert.throws(() => new RootToLeavesValidator(root.digest()).add(middle), /asked for directory/);
  const early = new RootToLeavesValidator(root.digest());
  early.add(root);
  assert.throws(() => early.add(Directory.fromNodes([{ kind: "file", name: "f", digest: blake3(Buffer.from("")), size: 0, executable: false }])), /before anything referred/);
  const missing = new RootToLeavesValidator(root.digest());
  missing.add(root);
  missing.add(middle);
  assert.throws(() => missing.finish(), /not sent/);
});
