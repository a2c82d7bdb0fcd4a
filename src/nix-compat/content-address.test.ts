import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatContentAddress, parseContentAddress } from "./content-address.ts";
import { NixCompatError } from "./errors.ts";
import { hashBytes } from "./hash.ts";

describe("content addresses", () => {
  it("parses a recursive sha1 address from cache.nixos.org", () => {
    // From a cache.nixos.org narinfo (texlive-hyphenex), as quoted in tvix's nix-compat tests.
    const ca = parseContentAddress("fixed:r:sha1:1ak1ymbmsfx7z8kh09jzkr3a4dvkrfjw");
    assert.equal(ca.method, "recursive");
    assert.equal(ca.hash.algo, "sha1");
    assert.equal(ca.hash.encode("base16"), "5cba3c77236ae4f9650270a27fbad375551fa60a");
  });

  it("prints digests in nix32 whatever encoding they were read in", () => {
    const hash = hashBytes("sha256", "hello");
    const nix32 = hash.encode("nix32");
    for (const digest of [hash.encode("base16"), nix32, hash.encode("base64")]) {
      assert.equal(formatContentAddress(parseContentAddress(`text:sha256:${digest}`)), `text:sha256:${nix32}`);
      assert.equal(formatContentAddress(parseContentAddress(`fixed:sha256:${digest}`)), `fixed:sha256:${nix32}`);
      assert.equal(formatContentAddress(parseContentAddress(`fixed:r:sha256:${digest}`)), `fixed:r:sha256:${nix32}`);
    }
    const md5 = hashBytes("md5", "x");
    assert.deepEqual(parseContentAddress(`fixed:md5:${md5.encode("nix32")}`), { method: "flat", hash: md5 });
  });

  it("rejects malformed addresses with a message naming the input", () => {
    const sha256 = hashBytes("sha256", "").encode("nix32");
    const sha1 = hashBytes("sha1", "").encode("nix32");
    const bad = [
      "",
      "text",
      `source:sha256:${sha256}`,
      `text:sha1:${sha1}`,
      `text:${sha256}`,
      `fixed:r:${sha256}`,
      `fixed:blake3:${sha256}`,
      `fixed:sha256:${sha256.slice(1)}`,
      `fixed:sha256:sha256:${sha256}`,
      `fixed:sha256-${hashBytes("sha256", "").encode("base64")}`,
      `fixed:sha256:${sha256.replace(/.$/, "e")}`,
    ];
    for (const text of bad) {
      assert.throws(() => parseContentAddress(text), (err: unknown) => err instanceof NixCompatError && err.message.includes(`'${text}'`), text);
    }
  });
});
