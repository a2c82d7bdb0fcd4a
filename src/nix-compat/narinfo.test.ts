import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NixCompatError } from "./errors.ts";
import { fingerprint, formatNarInfo, parseNarInfo } from "./narinfo.ts";
import { PublicKey, SecretKey, trustedKeys, verifySignature } from "./signing.ts";

// Real narinfos from cache.nixos.org, signed by its key (quoted in tvix's nix-compat tests).
const CACHE_NIXOS_ORG = PublicKey.parse("cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=");

const TEXLIVE = `StorePath: /nix/store/k20pahypzvr49fy82cw5sx72hdfg3qcr-texlive-hyphenex-37354
URL: nar/0i5biw0g01514llhfswxy6xfav8lxxdq1xg6ik7hgsqbpw0f06yi.nar.xz
Compression: xz
FileHash: sha256:0i5biw0g01514llhfswxy6xfav8lxxdq1xg6ik7hgsqbpw0f06yi
FileSize: 7120
NarHash: sha256:0h1bm4sj1cnfkxgyhvgi8df1qavnnv94sd0v09wcrm971602shfg
NarSize: 22552
References: 
Sig: cache.nixos.org-1:u01BybwQhyI5H1bW1EIWXssMDhDDIvXOG5uh8Qzgdyjz6U1qg6DHhMAvXZOUStIj6X5t4/ufFgR8i3fjf0bMAw==
CA: fixed:r:sha1:1ak1ymbmsfx7z8kh09jzkr3a4dvkrfjw
`;

const GCC_REFERENCES_UNSORTED =
  "a8922c0h87iilxzzvwn2hmv8x210aqb9-glibc-2.7 7w2acjgalb0cm7b3bg8yswza4l7iil9y-binutils-2.18 mm631h09mj964hm9q04l5fd8vw12j1mm-bash-3.2-p39 nx2zs2qd6snfcpzw4a0jnh26z9m0yihz-gcc-3.4.6 xi429w4ddvb1r77978hm7jfb2jsn559r-gcc-3.4.6";
const GCC_REFERENCES_SORTED =
  "7w2acjgalb0cm7b3bg8yswza4l7iil9y-binutils-2.18 a8922c0h87iilxzzvwn2hmv8x210aqb9-glibc-2.7 mm631h09mj964hm9q04l5fd8vw12j1mm-bash-3.2-p39 nx2zs2qd6snfcpzw4a0jnh26z9m0yihz-gcc-3.4.6 xi429w4ddvb1r77978hm7jfb2jsn559r-gcc-3.4.6";
const gcc = (references: string) => `StorePath: /nix/store/xi429w4ddvb1r77978hm7jfb2jsn559r-gcc-3.4.6
URL: nar/1hr09cgkyw1hcsfkv5qp5jlpmf2mqrkrqs3xj5zklq9c1h9544ff.nar.bz2
Compression: bzip2
FileHash: sha256:1hr09cgkyw1hcsfkv5qp5jlpmf2mqrkrqs3xj5zklq9c1h9544ff
FileSize: 4006
NarHash: sha256:0ik9mpqxpd9hv325hdblj2nawqj5w7951qdyy8ikxgwr6fq7m11c
NarSize: 21264
References: ${references}
Deriver: 2dzpn70c1hawczwhg9aavqk18zp9zsva-gcc-3.4.6.drv
Sig: cache.nixos.org-1:o1DTsjCz0PofLJ216P2RBuSulI8BAb6zHxWE4N+tzlcELk5Uk/GO2SCxWTRN5wJutLZZ+cHTMdWqOHF88KGQDg==
`;

const perl = (narHash: string) => `StorePath: /nix/store/0vpqfxbkx0ffrnhbws6g9qwhmliksz7f-perl-HTTP-Cookies-6.01
URL: nar/1rv1m9inydm1r4krw8hmwg1hs86d0nxddd1pbhihx7l7fycjvfk3.nar.xz
Compression: xz
FileHash: sha256:1rv1m9inydm1r4krw8hmwg1hs86d0nxddd1pbhihx7l7fycjvfk3
FileSize: 19912
NarHash: ${narHash}
NarSize: 45840
References: 0vpqfxbkx0ffrnhbws6g9qwhmliksz7f-perl-HTTP-Cookies-6.01 9vrhbib2lxd9pjlg6fnl5b82gblidrcr-perl-HTTP-Message-6.06 wy20zslqxzxxfpzzk0rajh41d7a6mlnf-perl-HTTP-Date-6.02
Deriver: fb4ihlq3psnsjq95mvvs49rwpplpc8zj-perl-HTTP-Cookies-6.01.drv
Sig: cache.nixos.org-1:HhaiY36Uk3XV1JGe9d9xHnzAapqJXprU1YZZzSzxE97jCuO5RR7vlG2kF7MSC5thwRyxAtdghdSz3AqFi+QSCw==
`;
const PERL_HEX = perl("sha256:60adfd293a4d81ad7cd7e47263cbb3fc846309ef91b154a08ba672b558f94ff3");

function assertSignedByCacheNixosOrg(text: string): void {
  const info = parseNarInfo(text);
  assert.equal(info.signatures.length, 1);
  assert.ok(CACHE_NIXOS_ORG.verify(fingerprint(info), info.signatures[0]), "cache.nixos.org signature verifies");
}

describe("parseNarInfo / formatNarInfo", () => {
  it("reads every field", () => {
    const info = parseNarInfo(TEXLIVE);
    assert.equal(info.storePath.toAbsolute(), "/nix/store/k20pahypzvr49fy82cw5sx72hdfg3qcr-texlive-hyphenex-37354");
    assert.equal(info.url, "nar/0i5biw0g01514llhfswxy6xfav8lxxdq1xg6ik7hgsqbpw0f06yi.nar.xz");
    assert.equal(info.compression, "xz");
    assert.equal(info.fileHash?.format("nix32"), "sha256:0i5biw0g01514llhfswxy6xfav8lxxdq1xg6ik7hgsqbpw0f06yi");
    assert.equal(info.fileSize, 7120);
    assert.equal(info.narSize, 22552);
    assert.deepEqual(info.references, []);
    assert.equal(info.deriver, undefined);
    assert.equal(info.signatures[0].keyName, "cache.nixos.org-1");
    assert.equal(info.ca?.method, "recursive");
    const gccInfo = parseNarInfo(gcc(GCC_REFERENCES_UNSORTED));
    assert.deepEqual(gccInfo.references.map((r) => r.baseName), GCC_REFERENCES_UNSORTED.split(" "));
    assert.equal(gccInfo.deriver?.baseName, "2dzpn70c1hawczwhg9aavqk18zp9zsva-gcc-3.4.6.drv");
  });

  it("prints a Nix-written narinfo back byte for byte", () => {
    assert.equal(formatNarInfo(parseNarInfo(TEXLIVE)), TEXLIVE);
    assert.equal(formatNarInfo(parseNarInfo(gcc(GCC_REFERENCES_SORTED))), gcc(GCC_REFERENCES_SORTED));
  });

  it("prints as Nix's to_string would: sorted references, nix32 hashes, default compression", () => {
    assert.equal(formatNarInfo(parseNarInfo(gcc(GCC_REFERENCES_UNSORTED))), gcc(GCC_REFERENCES_SORTED));
    assert.equal(formatNarInfo(parseNarInfo(PERL_HEX)), perl("sha256:1wsgz5cbawm6ifh59ccixw4n717wng5n6wp4sxyav0ad78lzvbb0") /* nix-hash --to-base32 */);
    const withoutCompression = TEXLIVE.replace("Compression: xz\n", "");
    assert.equal(parseNarInfo(withoutCompression).compression, "bzip2");
    assert.equal(formatNarInfo(parseNarInfo(withoutCompression)), TEXLIVE.replace("Compression: xz", "Compression: bzip2"));
  });

  it("ignores unknown fields and reads Nix's spellings of nothing", () => {
    const text = TEXLIVE.replace("References: \n", "References: \nFutureField: whatever\nDeriver: unknown-deriver\nSystem: \nCA: \n").replace(/CA: fixed.*\n/, "");
    const info = parseNarInfo(text);
    assert.equal(info.deriver, undefined);
    assert.equal(info.system, undefined);
    assert.equal(info.ca, undefined);
    assert.ok(!formatNarInfo(info).includes("FutureField"));
  });

  it("prints signatures sorted and once each, and System when set", () => {
    const key = new SecretKey("aaa", Buffer.alloc(32, 1));
    const info = parseNarInfo(TEXLIVE);
    const own = key.sign(fingerprint(info));
    info.signatures.push(own, own);
    info.system = "x86_64-linux";
    const printed = formatNarInfo(info);
    assert.match(printed, new RegExp(`References: \\nSystem: x86_64-linux\\nSig: ${escape(own.toString())}\\nSig: cache\\.nixos\\.org-1:`));
    assert.equal(printed.match(/^Sig: /gm)?.length, 2);
  });

  it("refuses to print a field that would break its line", () => {
    const info = parseNarInfo(TEXLIVE);
    assert.throws(() => formatNarInfo({ ...info, url: "nar/x\nStorePath: /nix/store/evil" }), /URL must not contain a newline/);
    assert.throws(() => formatNarInfo({ ...info, system: "x\n" }), /System must not contain a newline/);
  });

  it("reads narinfos under another store directory", () => {
    const text = TEXLIVE.replace("/nix/store/", "/tmp/store/");
    assert.throws(() => parseNarInfo(text), /line 1, field StorePath: .*not in the Nix store/);
    assert.equal(formatNarInfo(parseNarInfo(text, "/tmp/store"), "/tmp/store"), text);
  });
});

describe("fingerprint", () => {
  it("matches what cache.nixos.org signed", () => {
    assertSignedByCacheNixosOrg(TEXLIVE);
    assertSignedByCacheNixosOrg(PERL_HEX); // the hash is printed in nix32 whatever the narinfo used
  });

  it("sorts references, so a signature over another order does not verify", () => {
    // This old signature covers the references in the narinfo's order; Nix 2.8 calls the path
    // untrusted too (`nix store verify --no-contents --sigs-needed 1` on a cache holding it).
    const info = parseNarInfo(gcc(GCC_REFERENCES_UNSORTED));
    assert.ok(!CACHE_NIXOS_ORG.verify(fingerprint(info), info.signatures[0]));
  });

  it("has Nix's layout", () => {
    assert.equal(
      fingerprint(parseNarInfo(gcc(GCC_REFERENCES_UNSORTED))),
      `1;/nix/store/xi429w4ddvb1r77978hm7jfb2jsn559r-gcc-3.4.6;sha256:0ik9mpqxpd9hv325hdblj2nawqj5w7951qdyy8ikxgwr6fq7m11c;21264;${GCC_REFERENCES_SORTED.split(" ")
        .map((r) => `/nix/store/${r}`)
        .join(",")}`,
    );
  });

  it("no longer verifies once any signed field is tampered with", () => {
    const info = parseNarInfo(PERL_HEX);
    const trusted = trustedKeys([CACHE_NIXOS_ORG]);
    const sig = info.signatures[0];
    assert.ok(verifySignature(fingerprint(info), sig, trusted));
    const tampered = [
      { ...info, narSize: info.narSize + 1 },
      { ...info, references: info.references.slice(1) },
      { ...info, storePath: info.references[1] },
      { ...info, narHash: parseNarInfo(TEXLIVE).narHash },
    ];
    for (const t of tampered) assert.ok(!verifySignature(fingerprint(t), sig, trusted));
    // Fields outside the fingerprint (URL, compression, deriver) are not vouched for.
    const moved = { ...info, url: "elsewhere", compression: "none", deriver: undefined };
    assert.ok(verifySignature(fingerprint(moved), sig, trusted));
  });

  it("refuses unknown sizes and non-sha256 NAR hashes, as Nix does", () => {
    const info = parseNarInfo(TEXLIVE);
    assert.throws(() => fingerprint({ ...info, narSize: 0 }), /size is not known/);
    assert.throws(() => fingerprint({ ...info, narHash: info.ca!.hash }), /not sha256/);
  });
});

describe("hostile narinfos", () => {
  const cases: [string, string, RegExp][] = [
    ["no trailing newline", TEXLIVE.slice(0, -1), /line 10 does not end with a newline/],
    ["a line without a colon", TEXLIVE.replace("References: \n", "References\n"), /line 8 is not of the form 'Key: value'/],
    ["no space after the colon", TEXLIVE.replace("URL: ", "URL:"), /line 2 is not of the form/],
    ["an empty line", `\n${TEXLIVE}`, /line 1 is not of the form/],
    ["no StorePath", TEXLIVE.replace(/^StorePath.*\n/, ""), /no StorePath field/],
    ["no URL", TEXLIVE.replace(/^URL.*\n/m, ""), /no URL field/],
    ["an empty URL", TEXLIVE.replace(/^URL.*\n/m, "URL: \n"), /no URL field, or it is empty/],
    ["no NarHash", TEXLIVE.replace(/^NarHash.*\n/m, ""), /no NarHash field/],
    ["no NarSize", TEXLIVE.replace(/^NarSize.*\n/m, ""), /no NarSize field/],
    ["a zero NarSize", TEXLIVE.replace(/^NarSize.*\n/m, "NarSize: 0\n"), /NarSize field, or it is 0/],
    ["a negative NarSize", TEXLIVE.replace(/^NarSize.*\n/m, "NarSize: -5\n"), /line 7, field NarSize: '-5' is not a size/],
    ["a huge FileSize", TEXLIVE.replace(/^FileSize.*\n/m, "FileSize: 18446744073709551615\n"), /line 5, field FileSize: size .* too large/],
    ["a duplicate StorePath", `${TEXLIVE}StorePath: /nix/store/k20pahypzvr49fy82cw5sx72hdfg3qcr-x\n`, /line 11: field StorePath appears twice/],
    ["a StorePath outside the store", TEXLIVE.replace("/nix/store/k20", "/nix/stor/k20"), /line 1, field StorePath/],
    ["a bad store path hash", TEXLIVE.replace("k20pahypzvr49fy82cw5sx72hdfg3qcr", "e20pahypzvr49fy82cw5sx72hdfg3qcr"), /line 1, field StorePath: .*invalid hash part/],
    ["a NarHash without algorithm", TEXLIVE.replace("NarHash: sha256:", "NarHash: "), /line 6, field NarHash: .*sha256:/],
    ["a sha1 NarHash", TEXLIVE.replace(/^NarHash.*$/m, "NarHash: sha1:1ak1ymbmsfx7z8kh09jzkr3a4dvkrfjw"), /line 6, field NarHash/],
    ["a truncated FileHash", TEXLIVE.replace("FileHash: sha256:0i5b", "FileHash: sha256:i5b"), /line 4, field FileHash: .*wrong length/],
    ["a bad reference", TEXLIVE.replace("References: ", "References: foo"), /line 8, field References: 'foo'/],
    ["an absolute reference", TEXLIVE.replace("References: ", "References: /nix/store/k20pahypzvr49fy82cw5sx72hdfg3qcr-x"), /line 8, field References/],
    ["a bad Deriver", TEXLIVE.replace("References: \n", "References: \nDeriver: x.drv\n"), /line 9, field Deriver/],
    ["a signature without a key name", TEXLIVE.replace("Sig: cache.nixos.org-1:", "Sig: "), /line 9, field Sig: signature .* NAME:BASE64/],
    ["a short signature", TEXLIVE.replace(/Sig: (.*)==\n/, "Sig: $1\n").replace(/u01B/, ""), /line 9, field Sig: .*has 61 bytes, not 64/],
    ["a bad CA", TEXLIVE.replace("CA: fixed:r:sha1:", "CA: fixed:r:sha3:"), /line 10, field CA: invalid content address/],
  ];
  for (const [what, text, message] of cases) {
    it(`rejects ${what}`, () => {
      assert.throws(() => parseNarInfo(text), (err: unknown) => err instanceof NixCompatError && message.test(err.message));
    });
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
