// narinfo files, path fingerprints and ed25519 signing against real Nix 2.8: keys travel both
// ways, Nix-written binary caches are read, printed back byte for byte and their signatures
// checked, and narinfos signed by tvix are accepted (or, tampered with, refused) by Nix.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { formatContentAddress } from "../../src/nix-compat/content-address.ts";
import { NixCompatError } from "../../src/nix-compat/errors.ts";
import { hashBytes, parseHash } from "../../src/nix-compat/hash.ts";
import { type NarInfo, fingerprint, formatNarInfo, parseNarInfo } from "../../src/nix-compat/narinfo.ts";
import { PublicKey, SecretKey, Signature, type TrustedKeys, trustedKeys, verifySignature } from "../../src/nix-compat/signing.ts";

const TVIX = fileURLToPath(new URL("../../bin/tvix.js", import.meta.url));
// No substituters: nothing here may reach the network (cache.nixos.org is the default).
const NIX_OPTIONS = ["--extra-experimental-features", "nix-command", "--option", "substituters", ""];

const work = mkdtempSync(join(tmpdir(), "tvix-narinfo-"));
after(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], input?: string): string {
  return execFileSync(command, args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}
function nix(args: string[], input?: string): string {
  return run("nix", [...NIX_OPTIONS, ...args], input);
}
/** Runs nix and reports whether it succeeded, with its error output. */
function nixSucceeds(args: string[]): { ok: boolean; stderr: string } {
  const result = spawnSync("nix", [...NIX_OPTIONS, ...args], { encoding: "utf8" });
  return { ok: result.status === 0, stderr: result.stderr };
}

let counter = 0;
function freshDir(prefix: string): string {
  return join(work, `${prefix}-${++counter}`);
}

/** `nix copy` of `paths` (with their closures) into a new file:// cache; returns its directory. */
function copyToCache(paths: string[], params: string): string {
  const dir = freshDir("cache");
  nix(["copy", "--to", `file://${dir}?${params}`, ...paths]);
  return dir;
}

function narInfoFile(cache: string, path: string): string {
  return join(cache, `${path.slice("/nix/store/".length, "/nix/store/".length + 32)}.narinfo`);
}
function readNarInfos(cache: string): Map<string, string> {
  const files = readdirSync(cache).filter((f) => f.endsWith(".narinfo"));
  return new Map(files.map((f) => [f, readFileSync(join(cache, f), "utf8")]));
}

/** A copy of `cache` (NARs and nix-cache-info) with one narinfo replaced by `text`. */
function cacheWith(cache: string, path: string, text: string): string {
  const dir = freshDir("variant");
  cpSync(cache, dir, { recursive: true });
  writeFileSync(narInfoFile(dir, path), text);
  return dir;
}

/** Re-signs every narinfo in `cache` with `key` alone, as a tvix-run cache would. */
function resignCache(cache: string, key: SecretKey): void {
  for (const [file, text] of readNarInfos(cache)) {
    const info = parseNarInfo(text);
    info.signatures = [key.sign(fingerprint(info))];
    writeFileSync(join(cache, file), formatNarInfo(info));
  }
}

function isTrustedByTvix(info: NarInfo, trusted: TrustedKeys): boolean {
  return info.signatures.some((sig) => verifySignature(fingerprint(info), sig, trusted));
}

/** Nix's verdict on the signatures of `path` in a cache, without fetching the NAR. */
function isTrustedByNix(cache: string, path: string, trusted: PublicKey[]): boolean {
  const keys = trusted.map(String).join(" ");
  return nixSucceeds(["store", "verify", "--store", `file://${cache}`, "--no-contents", "--sigs-needed", "1", "--option", "trusted-public-keys", keys, path]).ok;
}

// Paths of every kind: added files and trees (fixed:r:sha256), flat and sha1 fixed paths, text
// paths with references (builtins.toFile) and a built, input-addressed output that refers to
// those and to itself (the only kind whose import needs a signature).
const paths = { file: "", tree: "", flat: "", sha1Tree: "", built: "" };
let nixSecret = "";
let nixPublic = "";

before(() => {
  const src = join(work, "src");
  mkdirSync(join(src, "tree", "sub"), { recursive: true });
  writeFileSync(join(src, "file.txt"), "tvix narinfo test\n");
  writeFileSync(join(src, "tree", "sub", "data"), "data\n");
  writeFileSync(join(src, "tree", "run.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(join(src, "tree", "run.sh"), 0o755);
  symlinkSync("sub/data", join(src, "tree", "link"));
  paths.file = run("nix-store", ["--add", join(src, "file.txt")]).trim();
  paths.tree = run("nix-store", ["--add", join(src, "tree")]).trim();
  paths.flat = run("nix-store", ["--add-fixed", "sha256", join(src, "file.txt")]).trim();
  paths.sha1Tree = run("nix-store", ["--add-fixed", "--recursive", "sha1", join(src, "tree")]).trim();
  writeFileSync(
    join(src, "built.nix"),
    `let
      dep = builtins.toFile "tvix-narinfo-dep" "a dependency";
      dep2 = builtins.toFile "tvix-narinfo-dep2" "refers to \${dep}";
    in derivation {
      name = "tvix-narinfo-built";
      system = builtins.currentSystem;
      builder = "/bin/sh";
      args = [ "-c" "echo \${dep2} \${dep} \${builtins.storePath ${JSON.stringify(paths.file)}} $out > $out" ];
    }`,
  );
  paths.built = run("nix-build", ["--no-out-link", "--option", "substituters", "", join(src, "built.nix")]).trim();
  nixSecret = join(work, "nix.sec");
  nixPublic = join(work, "nix.pub");
  run("nix-store", ["--generate-binary-cache-key", "nix-test-1", nixSecret, nixPublic]);
});

describe("keys", () => {
  it("loads keys made by nix-store --generate-binary-cache-key", () => {
    const secretText = readFileSync(nixSecret, "utf8");
    const key = SecretKey.parse(secretText);
    assert.equal(key.toString(), secretText);
    assert.equal(key.publicKey.toString(), readFileSync(nixPublic, "utf8"));
    assert.equal(PublicKey.parse(readFileSync(nixPublic, "utf8")).toString(), readFileSync(nixPublic, "utf8"));
    const generated = nix(["key", "generate-secret", "--key-name", "nix-test-2"]);
    assert.equal(`${SecretKey.parse(generated).publicKey}`, nix(["key", "convert-secret-to-public"], generated));
  });

  it("writes keys Nix reads: same public key, same file format", () => {
    const sec = join(work, "tvix.sec");
    const pub = join(work, "tvix.pub");
    run(process.execPath, [TVIX, "key", "generate", "tvix-test-1", sec, pub]);
    assert.equal(nix(["key", "convert-secret-to-public"], readFileSync(sec, "utf8")), readFileSync(pub, "utf8"));
    assert.equal(run(process.execPath, [TVIX, "key", "public", nixSecret]), `${readFileSync(nixPublic, "utf8")}\n`);
  });

  it("verifies what `nix store sign` signed with a tvix key, and signs identically", () => {
    const key = SecretKey.generate("tvix-test-2");
    const keyFile = join(work, "tvix-2.sec");
    writeFileSync(keyFile, key.toString(), { mode: 0o600 });
    const cache = copyToCache([paths.built], "compression=none");
    nix(["store", "sign", "--store", `file://${cache}`, "--key-file", keyFile, paths.built]);
    const info = parseNarInfo(readFileSync(narInfoFile(cache, paths.built), "utf8"));
    assert.equal(info.signatures.length, 1);
    assert.ok(key.publicKey.verify(fingerprint(info), info.signatures[0]));
    assert.equal(key.sign(fingerprint(info)).toString(), info.signatures[0].toString());
  });
});

describe("binary caches written by Nix", () => {
  for (const compression of ["none", "xz", "bzip2"]) {
    it(`reads, prints back and verifies every narinfo (compression=${compression})`, () => {
      const all = Object.values(paths);
      const cache = copyToCache(all, `compression=${compression}&secret-key=${nixSecret}`);
      const nixKey = SecretKey.parse(readFileSync(nixSecret, "utf8"));
      const trusted = trustedKeys([nixKey.publicKey]);
      const narInfos = readNarInfos(cache);
      assert.ok(narInfos.size >= all.length + 2, "the closure of the built path is in the cache");
      const json = JSON.parse(nix(["path-info", "--json", "--store", `file://${cache}`, "--recursive", ...all])) as Record<string, unknown>[];
      const byPath = new Map(json.map((entry) => [entry.path as string, entry]));
      const caKinds = new Set<string>();
      for (const [file, text] of narInfos) {
        const info = parseNarInfo(text);
        if (info.ca) caKinds.add(formatContentAddress(info.ca).replace(/:[^:]*$/, ""));
        assert.equal(formatNarInfo(info), text, `${file} prints back byte for byte`);
        assert.equal(info.compression, compression);
        assert.equal(info.signatures.length, 1);
        assert.ok(isTrustedByTvix(info, trusted), `${file}: Nix's signature verifies`);
        assert.equal(nixKey.sign(fingerprint(info)).toString(), info.signatures[0].toString(), `${file}: same signature`);

        const fileBytes = readFileSync(join(cache, info.url));
        assert.ok(info.fileHash?.equals(hashBytes("sha256", fileBytes)), `${file}: FileHash`);
        assert.equal(info.fileSize, fileBytes.length);
        if (compression === "none") assert.ok(info.narHash.equals(hashBytes("sha256", fileBytes)), `${file}: NarHash`);

        const entry = byPath.get(info.storePath.toAbsolute());
        assert.ok(entry, `${file} is one of nix path-info's paths`);
        assert.ok(info.narHash.equals(parseHash(entry.narHash as string)));
        assert.equal(info.narSize, entry.narSize);
        assert.deepEqual(info.references.map((r) => r.toAbsolute()), entry.references);
        assert.equal(info.deriver?.toAbsolute(), entry.deriver);
        assert.equal(info.ca && formatContentAddress(info.ca), entry.ca);
        assert.deepEqual(info.signatures.map(String), entry.signatures);
      }
      assert.deepEqual([...caKinds].sort(), ["fixed:r:sha1", "fixed:r:sha256", "fixed:sha256", "text:sha256"]);
      const built = parseNarInfo(readFileSync(narInfoFile(cache, paths.built), "utf8"));
      assert.equal(built.references.length, 4, "dep, dep2, the added file and itself");
      assert.ok(built.references.some((r) => r.equals(built.storePath)));
      assert.ok(built.deriver?.name.endsWith(".drv"));
      assert.equal(built.ca, undefined);
    });
  }
});

describe("narinfos signed by tvix", () => {
  const tvixKey = SecretKey.generate("tvix-cache-1");
  // The same name with other key bytes: the most confusing wrong key.
  const impostor = SecretKey.generate("tvix-cache-1");

  function importInto(cache: string, trusted: PublicKey[]): { ok: boolean; stderr: string; root: string } {
    const root = freshDir("root");
    const keys = trusted.map(String).join(" ");
    const result = nixSucceeds(["copy", "--from", `file://${cache}`, "--to", `local?root=${root}`, "--option", "trusted-public-keys", keys, paths.built]);
    return { ...result, root };
  }

  it("are accepted by nix copy, which checks signatures", () => {
    const cache = copyToCache([paths.built], "compression=xz");
    resignCache(cache, tvixKey);
    const result = importInto(cache, [tvixKey.publicKey]);
    assert.ok(result.ok, result.stderr);
    assert.equal(readFileSync(join(result.root, paths.built), "utf8"), readFileSync(paths.built, "utf8"));
  });

  it("are refused by nix copy under a wrong or missing key, and when tampered with", () => {
    const signed = copyToCache([paths.built], "compression=none");
    resignCache(signed, tvixKey);
    for (const trusted of [[impostor.publicKey], []]) {
      const result = importInto(signed, trusted);
      assert.ok(!result.ok, "import must fail");
      assert.match(result.stderr, /lacks a valid signature/);
    }
    const text = readFileSync(narInfoFile(signed, paths.built), "utf8");
    const info = parseNarInfo(text);
    const tampered = cacheWith(signed, paths.built, formatNarInfo({ ...info, references: info.references.slice(1) }));
    const result = importInto(tampered, [tvixKey.publicKey]);
    assert.ok(!result.ok);
    assert.match(result.stderr, /lacks a valid signature/);
  });

  it("pass nix store verify with the NAR contents checked", () => {
    const cache = copyToCache([paths.built], "compression=xz");
    resignCache(cache, tvixKey);
    const trust = ["--option", "trusted-public-keys", String(tvixKey.publicKey)];
    const verified = nixSucceeds(["store", "verify", "--store", `file://${cache}`, "--recursive", "--sigs-needed", "1", ...trust, paths.built]);
    assert.ok(verified.ok, verified.stderr);
    const wrong = nixSucceeds(["store", "verify", "--store", `file://${cache}`, "--sigs-needed", "1", "--option", "trusted-public-keys", String(impostor.publicKey), paths.built]);
    assert.ok(!wrong.ok);
  });

  it("get the same verdict from tvix and Nix for tampered narinfos", () => {
    const cache = copyToCache([paths.built, paths.tree], "compression=none");
    resignCache(cache, tvixKey);
    const info = parseNarInfo(readFileSync(narInfoFile(cache, paths.built), "utf8"));
    const good = info.signatures[0];
    const flipped = Buffer.from(good.bytes);
    flipped[0] ^= 0x80;
    const otherNarHash = parseNarInfo(readFileSync(narInfoFile(cache, paths.tree), "utf8")).narHash;
    const variants: [string, NarInfo, boolean][] = [
      ["untouched", info, true],
      ["another URL, compression and no deriver", { ...info, url: "nar/elsewhere.nar", compression: "xz", deriver: undefined }, true],
      ["an extra signature by an untrusted key", { ...info, signatures: [impostor.sign(fingerprint(info)), good] }, true],
      ["a NarSize one larger", { ...info, narSize: info.narSize + 1 }, false],
      ["another path's NarHash", { ...info, narHash: otherNarHash }, false],
      ["a reference dropped", { ...info, references: info.references.slice(1) }, false],
      ["a reference added", { ...info, references: [...info.references, parseNarInfo(readFileSync(narInfoFile(cache, paths.tree), "utf8")).storePath] }, false],
      ["a flipped signature bit", { ...info, signatures: [new Signature(good.keyName, flipped)] }, false],
      ["the signature of the impostor key", { ...info, signatures: [impostor.sign(fingerprint(info))] }, false],
      ["the signature under another key name", { ...info, signatures: [new Signature("tvix-cache-2", good.bytes)] }, false],
      ["no signature", { ...info, signatures: [] }, false],
    ];
    for (const [what, variant, expected] of variants) {
      const text = formatNarInfo(variant);
      const tvixVerdict = isTrustedByTvix(parseNarInfo(text), trustedKeys([tvixKey.publicKey]));
      const nixVerdict = isTrustedByNix(cacheWith(cache, paths.built, text), paths.built, [tvixKey.publicKey]);
      assert.equal(tvixVerdict, expected, `tvix on ${what}`);
      assert.equal(nixVerdict, expected, `nix on ${what}`);
    }
    // Two trusted keys with one name: the first listed counts, for both.
    for (const [keys, expected] of [[[tvixKey.publicKey, impostor.publicKey], true], [[impostor.publicKey, tvixKey.publicKey], false]] as const) {
      assert.equal(isTrustedByTvix(info, trustedKeys(keys)), expected);
      assert.equal(isTrustedByNix(cache, paths.built, [...keys]), expected);
    }
  });
});

describe("corrupt narinfos", () => {
  it("are rejected by tvix and by Nix", () => {
    const cache = copyToCache([paths.built], "compression=none");
    const text = readFileSync(narInfoFile(cache, paths.built), "utf8");
    const nar32 = text.match(/^NarHash: sha256:(.*)$/m)![1];
    const cases: [string, string][] = [
      ["no StorePath", text.replace(/^StorePath: .*\n/m, "")],
      ["no NarHash", text.replace(/^NarHash: .*\n/m, "")],
      ["no URL", text.replace(/^URL: .*\n/m, "")],
      ["NarSize 0", text.replace(/^NarSize: .*$/m, "NarSize: 0")],
      ["NarSize not a number", text.replace(/^NarSize: .*$/m, "NarSize: 12a")],
      ["no final newline", text.slice(0, -1)],
      ["a NarHash with a bad character", text.replace(`NarHash: sha256:${nar32}`, `NarHash: sha256:e${nar32.slice(1)}`)],
      ["a NarHash without its algorithm", text.replace(`NarHash: sha256:${nar32}`, `NarHash: ${nar32}`)],
      ["a reference that is no store path", text.replace(/^References: /m, "References: not-a-path ")],
      ["a CA with an unknown method", `${text}CA: sideways:sha256:${nar32}\n`],
    ];
    for (const [what, corrupt] of cases) {
      assert.throws(() => parseNarInfo(corrupt), NixCompatError, `tvix rejects ${what}`);
      const result = nixSucceeds(["path-info", "--store", `file://${cacheWith(cache, paths.built, corrupt)}`, paths.built]);
      assert.ok(!result.ok, `nix rejects ${what}`);
    }
  });
});
