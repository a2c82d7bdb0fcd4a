import assert from "node:assert/strict";
import { test } from "node:test";
import { Hash, compressHash, hashBytes, parseHash } from "./hash.ts";

// Reference values printed by Nix 2.8 (`nix hash file`, `nix hash to-base16`) for "" and "hello".
const EMPTY_SHA256_HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const EMPTY_SHA256_NIX32 = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73";
const EMPTY_MD5_HEX = "d41d8cd98f00b204e9800998ecf8427e";
const HELLO_SHA1_NIX32 = "9m1skbnr5i43n3yypvda5s65vhfwdx5a";

test("formats a digest in every encoding", () => {
  const h = hashBytes("sha256", "");
  assert.equal(h.encode("base16"), EMPTY_SHA256_HEX);
  assert.equal(h.encode("nix32"), EMPTY_SHA256_NIX32);
  assert.equal(h.format("nix32"), `sha256:${EMPTY_SHA256_NIX32}`);
  assert.equal(h.toSri(), `sha256-${Buffer.from(EMPTY_SHA256_HEX, "hex").toString("base64")}`);
  assert.equal(hashBytes("md5", "").encode("base16"), EMPTY_MD5_HEX);
  assert.equal(hashBytes("sha1", "hello").encode("nix32"), HELLO_SHA1_NIX32);
});

test("parses every form Nix accepts and they agree", () => {
  const h = hashBytes("sha512", "tvix");
  const forms = [
    h.format("base16"),
    h.format("base16").toUpperCase().replace("SHA512:", "sha512:"),
    h.format("nix32"),
    h.format("base64"),
    h.toSri(),
  ];
  for (const form of forms) assert.ok(parseHash(form).equals(h), form);
  for (const bare of [h.encode("base16"), h.encode("nix32"), h.encode("base64")]) {
    assert.ok(parseHash(bare, "sha512").equals(h), bare);
  }
});

test("rejects bad hashes with Nix's messages", () => {
  assert.throws(() => parseHash(EMPTY_SHA256_HEX), /does not include a type/);
  assert.throws(() => parseHash(`sha256:${EMPTY_SHA256_HEX.slice(1)}`), /wrong length for hash type 'sha256'/);
  assert.throws(() => parseHash(`sha256:${EMPTY_SHA256_NIX32.slice(0, -1)}e`), /invalid base-32 hash/);
  assert.throws(() => parseHash(`sha256:${"g".repeat(64)}`), /invalid base-16 hash/);
  assert.throws(() => parseHash(`blake2:${EMPTY_SHA256_HEX}`), /unknown hash algorithm 'blake2'/);
  assert.throws(() => parseHash(`sha1:${EMPTY_SHA256_HEX}`, "sha256"), /should have type 'sha256'/);
  assert.throws(() => parseHash("sha256-AAAA"), /invalid SRI hash/);
  assert.throws(() => new Hash("sha1", new Uint8Array(19)), /20 bytes/);
});

test("compressHash XOR-folds the digest", () => {
  const digest = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  assert.deepEqual(compressHash(digest, 4), Uint8Array.from([1 ^ 5, 2 ^ 6, 3, 4]));
});
