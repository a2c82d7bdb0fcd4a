import assert from "node:assert/strict";
import { test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { DirectorySchema } from "../proto/gen/tvix/castore/v1/castore_pb.js";
import { EMPTY_DIGEST, blake3, digestHex, formatDigest, parseDigest } from "./digest.ts";
import { Directory } from "./directory.ts";
import { CastoreError } from "./errors.ts";
import type { FileNode } from "./node.ts";
import { decodeDirectory, directoryToProto } from "./proto.ts";

const file = (name: string, size = 1, executable = false): FileNode => ({ kind: "file", name, digest: blake3(Buffer.from(name)), size, executable });

test("the empty directory encodes to no bytes; its digest is BLAKE3 of nothing", () => {
  const empty = new Directory();
  assert.equal(empty.encode().length, 0);
  assert.equal(digestHex(empty.digest()), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
  assert.equal(digestHex(empty.digest()), digestHex(EMPTY_DIGEST));
});

test("the hand-written canonical encoding is what protobuf-es writes for the same message", () => {
  const child = Directory.fromNodes([file("a"), file("b", 0, true)]);
  const directory = Directory.fromNodes([
    child.toNode("sub"),
    file("x", 300_000_000_000),
    { kind: "symlink", name: "\xff-latin1", target: "../target" },
    file("empty", 0),
  ]);
  const viaLibrary = toBinary(
    DirectorySchema,
    create(DirectorySchema, {
      directories: [{ name: Buffer.from("sub"), digest: child.digest(), size: BigInt(child.size) }],
      files: [
        { name: Buffer.from("empty"), digest: blake3(Buffer.from("empty")), size: 0n },
        { name: Buffer.from("x"), digest: blake3(Buffer.from("x")), size: 300_000_000_000n },
      ],
      symlinks: [{ name: Buffer.from([0xff, ...Buffer.from("-latin1")]), target: Buffer.from("../target") }],
    }),
  );
  assert.deepEqual(Buffer.from(directory.encode()), Buffer.from(viaLibrary));
  assert.deepEqual(Buffer.from(decodeDirectory(viaLibrary).encode()), Buffer.from(viaLibrary));
  assert.deepEqual(Buffer.from(toBinary(DirectorySchema, directoryToProto(directory))), Buffer.from(viaLibrary));
});

test("size counts each entry twice plus child sizes, as Tvix's implementation does", () => {
  const leaf = Directory.fromNodes([file("a"), { kind: "symlink", name: "l", target: "t" }]);
  assert.equal(leaf.size, 4);
  const parent = Directory.fromNodes([leaf.toNode("d"), file("f")]);
  assert.equal(parent.size, 2 + 4 + 2);
});

test("invalid directories are refused with the reason", () => {
  const refuses = (make: () => unknown, pattern: RegExp): void =>
    assert.throws(make, (err: unknown) => err instanceof CastoreError && err.code === "invalid-argument" && pattern.test(err.message));
  refuses(() => new Directory([], [file("b"), file("a")]), /not sorted/);
  refuses(() => new Directory([], [file("a"), file("a")]), /duplicate/);
  refuses(() => Directory.fromNodes([file("a"), { kind: "symlink", name: "a", target: "t" }]), /duplicate/);
  for (const name of ["", ".", "..", "a/b", "a\0b", "x".repeat(256)]) refuses(() => Directory.fromNodes([file(name)]), /invalid entry name/);
  refuses(() => Directory.fromNodes([{ kind: "symlink", name: "l", target: "" }]), /target/);
  refuses(() => Directory.fromNodes([{ kind: "symlink", name: "l", target: "a\0" }]), /target/);
  refuses(() => Directory.fromNodes([{ ...file("a"), digest: new Uint8Array(31) }]), /32 bytes/);
  refuses(() => Directory.fromNodes([{ ...file("a"), size: 2 ** 60 }]), /size/);
});

test("a message with unknown fields is refused (its digest would not be the sender's)", () => {
  const bytes = Buffer.concat([Directory.fromNodes([file("a")]).encode(), Buffer.from([0x20, 0x01])]);
  assert.throws(() => decodeDirectory(bytes), /unknown/);
  assert.throws(() => decodeDirectory(Buffer.from([0x0a, 0x05, 0x01])), /not a tvix.castore.v1.Directory/);
});

test("digests print as b3:<base64> and parse back", () => {
  const digest = blake3(Buffer.from("hello"));
  assert.deepEqual(parseDigest(formatDigest(digest)), digest);
  assert.throws(() => parseDigest("b3:AAAA"), /invalid BLAKE3 digest/);
});
