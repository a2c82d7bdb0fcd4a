import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NixCompatError } from "./errors.ts";
import { PublicKey, SecretKey, Signature, parseTrustedKeys, trustedKeys, verifySignature } from "./signing.ts";

// RFC 8032 section 7.1, TEST 1 (empty message).
const RFC_SEED = Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex");
const RFC_PUBLIC = Buffer.from("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "hex");
const RFC_SIGNATURE = Buffer.from(
  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  "hex",
);

// A real signature by cache.nixos.org (vector from tvix's nix-compat tests).
const CACHE_NIXOS_ORG = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";
const CURL_FINGERPRINT =
  "1;/nix/store/syd87l2rxw8cbsxmxl853h0r6pdwhwjr-curl-7.82.0-bin;sha256:1b4sb93wp679q4zx9k1ignby1yna3z7c4c2ri3wphylbc2dwsys0;196040;/nix/store/0jqd0rlxzra1rs38rdxl43yh6rxchgc6-curl-7.82.0,/nix/store/6w8g7njm4mck5dmjxws0z1xnrxvl81xa-glibc-2.34-115,/nix/store/j5jxw3iy7bbz4a57fh9g2xm2gxmyal8h-zlib-1.2.12,/nix/store/yxvjs9drzsphm9pcf42a4byzj1kb9m7k-openssl-1.1.1n";
const CURL_SIG = "cache.nixos.org-1:TsTTb3WGTZKphvYdBHXwo6weVILmTytUjLB+vcX89fOjjRicCHmKA4RCPMVLkj6TMJ4GMX3HPVWRdD1hkeKZBQ==";

const rfcSecretText = `test-1:${Buffer.concat([RFC_SEED, RFC_PUBLIC]).toString("base64")}`;

describe("SecretKey", () => {
  it("derives the RFC 8032 public key and signature from the seed", () => {
    const key = new SecretKey("test-1", RFC_SEED);
    assert.deepEqual(key.publicKey.bytes, RFC_PUBLIC);
    const sig = key.sign("");
    assert.deepEqual(sig.bytes, RFC_SIGNATURE);
    assert.equal(sig.keyName, "test-1");
  });

  it("reads and writes Nix's NAME:BASE64(seed ‖ public) form", () => {
    const key = SecretKey.parse(rfcSecretText);
    assert.equal(key.toString(), rfcSecretText);
    assert.equal(key.publicKey.toString(), `test-1:${RFC_PUBLIC.toString("base64")}`);
    assert.equal(SecretKey.parse(`${rfcSecretText}\n`).toString(), rfcSecretText);
  });

  it("generates distinct keys that sign and verify", () => {
    const a = SecretKey.generate("a");
    const b = SecretKey.generate("a");
    assert.notEqual(a.toString(), b.toString());
    assert.equal(SecretKey.parse(a.toString()).toString(), a.toString());
    const sig = a.sign("data");
    assert.ok(a.publicKey.verify("data", sig));
    assert.ok(!b.publicKey.verify("data", sig));
  });

  it("refuses a key whose public half is not its seed's", () => {
    const other = SecretKey.generate("x").publicKey.bytes;
    const text = `test-1:${Buffer.concat([RFC_SEED, other]).toString("base64")}`;
    assert.throws(() => SecretKey.parse(text), /public half does not belong to its seed/);
  });

  it("rejects malformed keys without echoing the secret", () => {
    const bad = [
      "",
      "noColon",
      ":AAAA",
      "name:",
      `name:${Buffer.alloc(63).toString("base64")}`,
      `name:${Buffer.alloc(32).toString("base64")}`,
      "name:not*base64",
      `name:${Buffer.alloc(64).toString("base64").slice(0, -1)}`,
      `bad name:${Buffer.alloc(64).toString("base64")}`,
    ];
    for (const text of bad) {
      assert.throws(
        () => SecretKey.parse(text),
        (err: unknown) => {
          const secret = text.slice(text.indexOf(":") + 1);
          return err instanceof NixCompatError && (secret.length < 8 || !err.message.includes(secret));
        },
        text,
      );
    }
  });

  it("validates names when generating", () => {
    assert.throws(() => SecretKey.generate(""), NixCompatError);
    assert.throws(() => SecretKey.generate("a:b"), /must not contain/);
    assert.throws(() => SecretKey.generate("a b"), /must not contain/);
  });
});

describe("PublicKey and Signature", () => {
  it("verifies a real cache.nixos.org signature and rejects tampering", () => {
    const key = PublicKey.parse(CACHE_NIXOS_ORG);
    const sig = Signature.parse(CURL_SIG);
    assert.ok(key.verify(CURL_FINGERPRINT, sig));
    assert.ok(!key.verify(CURL_FINGERPRINT.replace("196040", "196041"), sig));
    const flipped = Buffer.from(sig.bytes);
    flipped[10] ^= 1;
    assert.ok(!key.verify(CURL_FINGERPRINT, new Signature(sig.keyName, flipped)));
    assert.equal(sig.toString(), CURL_SIG);
    assert.equal(key.toString(), CACHE_NIXOS_ORG);
  });

  it("looks keys up by name, like Nix's verifyDetached", () => {
    const trusted = parseTrustedKeys(` ${CACHE_NIXOS_ORG}\n  other:${Buffer.alloc(32, 1).toString("base64")} `);
    assert.equal(trusted.size, 2);
    assert.ok(verifySignature(CURL_FINGERPRINT, Signature.parse(CURL_SIG), trusted));
    const renamed = Signature.parse(CURL_SIG.replace("cache.nixos.org-1", "cache.nixos.org-2"));
    assert.ok(!verifySignature(CURL_FINGERPRINT, renamed, trusted));
    assert.ok(!verifySignature(CURL_FINGERPRINT, Signature.parse(CURL_SIG), trustedKeys([])));
  });

  it("lets the first of two keys with one name count, as Nix's std::map::emplace does", () => {
    const impostor = new PublicKey("cache.nixos.org-1", Buffer.alloc(32, 1));
    const sig = Signature.parse(CURL_SIG);
    assert.ok(verifySignature(CURL_FINGERPRINT, sig, trustedKeys([PublicKey.parse(CACHE_NIXOS_ORG), impostor])));
    assert.ok(!verifySignature(CURL_FINGERPRINT, sig, trustedKeys([impostor, PublicKey.parse(CACHE_NIXOS_ORG)])));
  });

  it("treats a public key that is not a curve point as verifying nothing", () => {
    const key = new PublicKey("junk", Buffer.alloc(32, 0xff));
    assert.equal(key.verify(CURL_FINGERPRINT, Signature.parse(CURL_SIG)), false);
  });

  it("rejects malformed public keys and signatures", () => {
    for (const text of ["", "x", ":", "n:", `n:${Buffer.alloc(31).toString("base64")}`, `n:${Buffer.alloc(64).toString("base64")}`, "n:@@@@"]) {
      assert.throws(() => PublicKey.parse(text), NixCompatError, text);
    }
    for (const text of ["", "nocolon", `:${Buffer.alloc(64).toString("base64")}`, `n:${Buffer.alloc(63).toString("base64")}`, "n:!!", "n:AAA=A"]) {
      assert.throws(() => Signature.parse(text), NixCompatError, text);
    }
    assert.throws(() => parseTrustedKeys(`${CACHE_NIXOS_ORG} bogus`), /public key 'bogus'/);
    assert.throws(() => new Signature("two\nlines", Buffer.alloc(64)), /must not contain/);
  });

  it("accepts unpadded base64, as Nix's decoder does", () => {
    const unpadded = CURL_SIG.replace(/=+$/, "");
    assert.deepEqual(Signature.parse(unpadded).bytes, Signature.parse(CURL_SIG).bytes);
  });
});
