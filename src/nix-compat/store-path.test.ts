import assert from "node:assert/strict";
import { test } from "node:test";
import { hashBytes, parseHash } from "./hash.ts";
import {
  makeFixedOutputPath,
  makeTextPath,
  parseStorePath,
  parseStorePathBaseName,
  parseStorePathPrefix,
  validateName,
} from "./store-path.ts";

// Paths below were produced by Nix 2.8: builtins.toFile and nix-store --add-fixed [--recursive].
const FOO_TEXT = "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo"; // builtins.toFile "foo" "bar"
const BAZ_TEXT = "/nix/store/nwpx59zsdfsxbhxai9sis65zihxssqd3-baz"; // toFile "baz" "x${foo}"

test("text paths, with and without references", () => {
  assert.equal(makeTextPath("foo", hashBytes("sha256", "bar"), []).toAbsolute(), FOO_TEXT);
  assert.equal(makeTextPath("baz", hashBytes("sha256", `x${FOO_TEXT}`), [FOO_TEXT]).toAbsolute(), BAZ_TEXT);
});

test("fixed-output paths: flat and recursive, sha256 and sha1", () => {
  const hello = "hello";
  assert.equal(
    makeFixedOutputPath("hello.txt", "flat", hashBytes("sha256", hello)).toAbsolute(),
    "/nix/store/iixxin28s82lrxs8v4lcf7nha2dkwprm-hello.txt",
  );
  assert.equal(
    makeFixedOutputPath("hello.txt", "flat", hashBytes("sha1", hello)).toAbsolute(),
    "/nix/store/bl4cpnz7cwz57jcydmc1ylp7y584axbs-hello.txt",
  );
  // The NAR of a regular file holding "hello", hashed with sha1 (`nix hash path --type sha1`).
  const narSha1 = "sha1:x5zjnshbjrrhpg88n2da87884cmn2i2i";
  assert.equal(
    makeFixedOutputPath("hello.txt", "recursive", parseHash(narSha1)).toAbsolute(),
    "/nix/store/a4m0z74z4awk987yxfpz3q1vb34901vn-hello.txt",
  );
  assert.throws(() => makeFixedOutputPath("x", "flat", hashBytes("sha256", ""), { references: [FOO_TEXT] }), /cannot have references/);
});

test("parses store paths and rejects bad ones", () => {
  const p = parseStorePath(FOO_TEXT);
  assert.equal(p.name, "foo");
  assert.equal(p.hashPart, "vxjiwkjkn7x4079qvh1jkl5pn05j2aw0");
  assert.equal(p.toAbsolute(), FOO_TEXT);
  assert.ok(parseStorePathBaseName(p.baseName).equals(p));
  assert.deepEqual(parseStorePathPrefix(`${FOO_TEXT}/a/b`).rest, "/a/b");
  assert.throws(() => parseStorePath("/tmp/x"), /not in the Nix store/);
  assert.throws(() => parseStorePath(`${FOO_TEXT}/sub`), /inside one/);
  assert.throws(() => parseStorePathBaseName("vxjiwkjkn7x4079qvh1jkl5pn05j2aw0"), /not a store path base name/);
  assert.throws(() => parseStorePathBaseName("exjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo"), /invalid hash part/);
});

test("name rules are Nix's", () => {
  for (const ok of ["a", "foo-1.0", "x+y=z?_.", "A".repeat(211), ".dot"]) validateName(ok);
  assert.throws(() => validateName(""), /empty name/);
  assert.throws(() => validateName("A".repeat(212)), /longer than 211/);
  for (const bad of ["a b", "a/b", "ä", "a\nb", "x$", "a:b"]) assert.throws(() => validateName(bad), /illegal character/);
});
