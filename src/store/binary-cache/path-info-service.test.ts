import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CastoreError } from "../../castore/errors.ts";
import { hashBytes } from "../../nix-compat/hash.ts";
import { formatNarInfo } from "../../nix-compat/narinfo.ts";
import { SecretKey } from "../../nix-compat/signing.ts";
import { copyClosure } from "../closure.ts";
import { openStore, type Store } from "../composition.ts";
import { renderNar } from "../nar/render.ts";
import { type CacheEntry, addNarPath, cacheEntry, collect, storePathFor, writeCacheEntry } from "../../../test/support/binary-cache.ts";
import { narBytes, useSampleNar } from "../../../test/support/nar.ts";
import { BinaryCacheServer } from "./server.ts";

const key = SecretKey.generate("cache.example.org-1");
const otherKey = SecretKey.generate("other-1");
const impostor = SecretKey.generate("cache.example.org-1");
const keysParameter = (...keys: SecretKey[]): string => `trusted-public-keys=${encodeURIComponent(keys.map((k) => k.publicKey.toString()).join(" "))}`;

function assertDataLoss(message: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof CastoreError, String(err));
    assert.equal(err.code, "data-loss");
    assert.match(err.message, message);
    return true;
  };
}

describe("Nix binary caches as read sources", () => {
  const sample = useSampleNar("binary-cache-source");
  let dir: string;
  const entries: Record<string, CacheEntry> = {};
  const nar = (name: string): Buffer => narBytes(`${sample.tree}/${name}`);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tvix-file-cache-"));
    const tree = await cacheEntry(storePathFor(sample.nar, "tree"), sample.nar, { key });
    const leaf = await cacheEntry(storePathFor(nar("a"), "leaf"), nar("a"), { key, compression: "zstd", references: [tree.narinfo.storePath] });
    const unsigned = await cacheEntry(storePathFor(nar("x"), "unsigned"), nar("x"));
    const forged = await cacheEntry(storePathFor(nar("x"), "forged"), nar("x"), { key: impostor });
    const foreign = await cacheEntry(storePathFor(nar("x"), "foreign"), nar("x"), { key: otherKey });
    const badHash = await cacheEntry(storePathFor(nar("sub"), "bad-hash"), nar("sub"), { key, compression: "none" });
    badHash.file = Buffer.from(badHash.file);
    badHash.file[badHash.file.indexOf("12345678")] ^= 1; // a byte of file contents: still a valid NAR
    const truncated = await cacheEntry(storePathFor(nar("sub"), "truncated"), nar("sub"), { key });
    truncated.file = truncated.file.subarray(0, truncated.file.length - 30);
    const escaping = await cacheEntry(storePathFor(nar("a"), "escaping"), nar("a"), { key });
    const missing = await cacheEntry(storePathFor(nar("a"), "missing-nar"), nar("a"), { key, compression: "br" });
    Object.assign(entries, { tree, leaf, unsigned, forged, foreign, badHash, truncated, escaping, missing });
    for (const entry of Object.values(entries)) writeCacheEntry(dir, entry);
    // The narinfo of bad-hash is signed and describes the original NAR: only the bytes lie.
    const original = await cacheEntry(badHash.narinfo.storePath, nar("sub"), { key, compression: "none" });
    writeFileSync(join(dir, `${badHash.narinfo.storePath.hashPart}.narinfo`), formatNarInfo({ ...original.narinfo, fileHash: undefined, fileSize: undefined, url: badHash.narinfo.url }));
    writeFileSync(join(dir, `${escaping.narinfo.storePath.hashPart}.narinfo`), formatNarInfo({ ...escaping.narinfo, url: "nar/../../../etc/passwd" }));
    unlinkSync(join(dir, missing.narinfo.url));
    // A narinfo under another path's name.
    writeFileSync(join(dir, `${storePathFor(Buffer.from("x"), "misnamed").hashPart}.narinfo`), formatNarInfo(tree.narinfo));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const openCache = (query = keysParameter(key)): Promise<Store> => openStore(`file://${dir}?${query}`);

  it("file://: fetches, verifies and ingests a path; its NAR renders back byte for byte", async () => {
    const store = await openCache();
    const info = await store.pathInfos.get(entries.tree.narinfo.storePath.digest);
    assert.ok(info);
    assert.equal(info.storePath.baseName, entries.tree.narinfo.storePath.baseName);
    assert.equal(info.signatures[0].keyName, "cache.example.org-1");
    assert.ok((await collect(renderNar(info.node, store.blobs, store.directories))).equals(sample.nar));
    // Fetched once: the NAR file is not needed again.
    assert.equal(await store.pathInfos.get(entries.tree.narinfo.storePath.digest), info);
    assert.equal(await store.pathInfos.get(storePathFor(Buffer.from("none"), "absent").digest), undefined);
    await store.close();
  });

  it("reads bzip2 NARs of old caches (a narinfo without Compression means bzip2)", async () => {
    const old = await cacheEntry(storePathFor(sample.nar, "old"), sample.nar, { compression: "none" });
    const file = execFileSync("bzip2", ["-c"], { input: sample.nar });
    const narinfo = { ...old.narinfo, url: `nar/${old.narinfo.narHash.encode("nix32")}.nar.bz2`, compression: "bzip2", fileHash: hashBytes("sha256", file), fileSize: file.length };
    const oldDir = mkdtempSync(join(tmpdir(), "tvix-old-cache-"));
    writeCacheEntry(oldDir, { narinfo, file }, formatNarInfo(narinfo).replace("Compression: bzip2\n", ""));
    const store = await openStore(`file://${oldDir}`);
    const info = await store.pathInfos.get(narinfo.storePath.digest);
    assert.ok((await collect(renderNar(info!.node, store.blobs, store.directories))).equals(sample.nar));
    await store.close();
    rmSync(oldDir, { recursive: true });
  });

  it("copies a closure out of the cache into another store", async () => {
    const cache = await openCache();
    const target = await openStore("memory://");
    const copied = await copyClosure(cache, target, [entries.leaf.narinfo.storePath]);
    assert.deepEqual(copied.map((i) => i.storePath.name), ["tree", "leaf"]);
    const leaf = await target.pathInfos.get(entries.leaf.narinfo.storePath.digest);
    assert.ok((await collect(renderNar(leaf!.node, target.blobs, target.directories))).equals(nar("a")));
    await Promise.all([cache.close(), target.close()]);
  });

  it("refuses unsigned, forged and untrusted paths when keys are given; takes them without keys", async () => {
    const store = await openCache();
    await assert.rejects(store.pathInfos.get(entries.unsigned.narinfo.storePath.digest), assertDataLoss(/path '\/nix\/store\/[0-9a-z]{32}-unsigned' is not signed, and trusted-public-keys are set/));
    await assert.rejects(store.pathInfos.get(entries.forged.narinfo.storePath.digest), assertDataLoss(/-forged' lacks a valid signature by a trusted key \(signed by: cache.example.org-1\)/));
    await assert.rejects(store.pathInfos.get(entries.foreign.narinfo.storePath.digest), assertDataLoss(/-foreign' lacks a valid signature by a trusted key \(signed by: other-1\)/));
    const both = await openCache(keysParameter(key, otherKey));
    assert.ok(await both.pathInfos.get(entries.foreign.narinfo.storePath.digest));
    const unchecked = await openCache("");
    assert.ok(await unchecked.pathInfos.get(entries.unsigned.narinfo.storePath.digest));
    await Promise.all([store.close(), both.close(), unchecked.close()]);
  });

  it("refuses NARs that do not match their narinfo, and narinfos that lie or escape", async () => {
    const store = await openCache("");
    const { badHash, truncated, escaping, missing } = entries;
    await assert.rejects(store.pathInfos.get(badHash.narinfo.storePath.digest), assertDataLoss(/NarHash mismatch: the narinfo says sha256:/));
    await assert.rejects(store.pathInfos.get(truncated.narinfo.storePath.digest), assertDataLoss(/of '\/nix\/store\/[0-9a-z]{32}-truncated' from file:\/\/.*: corrupt xz data/));
    await assert.rejects(store.pathInfos.get(escaping.narinfo.storePath.digest), assertDataLoss(/refusing file path 'nar\/..\/..\/..\/etc\/passwd'/));
    await assert.rejects(store.pathInfos.get(missing.narinfo.storePath.digest), assertDataLoss(/the NAR 'nar\/[0-9a-z]+\.nar\.br' of '\/nix\/store\/[0-9a-z]{32}-missing-nar' is missing/));
    await assert.rejects(store.pathInfos.get(storePathFor(Buffer.from("x"), "misnamed").digest), assertDataLoss(/\.narinfo describes another path, '\/nix\/store\/[0-9a-z]{32}-tree'/));
    // A failure is not remembered as a path: asking again fails again.
    await assert.rejects(store.pathInfos.get(badHash.narinfo.storePath.digest), /NarHash mismatch/);
    await store.close();
  });

  it("lists a directory cache's paths, refuses writes", async () => {
    const store = await openCache(keysParameter(key));
    const listed: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const info of store.pathInfos.list()) listed.push(info.storePath.name);
      })(),
      /lacks a valid signature|is not signed|mismatch|refusing|missing|another path|corrupt/,
    );
    const info = await store.pathInfos.get(entries.tree.narinfo.storePath.digest);
    await assert.rejects(store.pathInfos.put(info!), /binary cache file:\/\/.* is a read source: cannot add/);
    await store.close();
  });

  it("store URLs: parameters and keys are checked", async () => {
    await assert.rejects(openStore(`file://${dir}?priority=10`), /unknown parameter 'priority'/);
    await assert.rejects(openStore(`file://${dir}?trusted-public-keys=nonsense`), /trusted-public-keys: public key 'nonsense' is not of the form NAME:BASE64/);
    await assert.rejects(openStore("file://host/dir"), /takes no host/);
    await assert.rejects(openStore("nix+ftp://host/"), /nix\+http:\/\/… or nix\+https:\/\/…/);
  });

  describe("nix+http:// against tvix store serve", () => {
    let served: Store;
    let server: BinaryCacheServer;
    let tree: Awaited<ReturnType<typeof addNarPath>>;

    before(async () => {
      served = await openStore("memory://");
      tree = await addNarPath(served, sample.nar, "served-tree");
      server = await BinaryCacheServer.listen(served, "127.0.0.1", 0, { signingKey: key, compression: "zstd" });
    });
    after(async () => {
      await server.close();
      await served.close();
    });

    it("reads a signed path; refuses it with another trusted key; lists nothing over HTTP", async () => {
      const url = `nix+http://127.0.0.1:${server.address.port}`;
      const cache = await openStore(`${url}?${keysParameter(key)}`);
      const info = await cache.pathInfos.get(tree.storePath.digest);
      assert.ok(info);
      assert.ok((await collect(renderNar(info.node, cache.blobs, cache.directories))).equals(sample.nar));
      const wrong = await openStore(`${url}/?${keysParameter(otherKey)}`);
      await assert.rejects(wrong.pathInfos.get(tree.storePath.digest), /lacks a valid signature by a trusted key \(signed by: cache.example.org-1\)/);
      await assert.rejects(
        (async () => {
          for await (const _ of cache.pathInfos.list()) assert.fail("listed");
        })(),
        /an HTTP binary cache cannot list its store paths/,
      );
      await Promise.all([cache.close(), wrong.close()]);
    });

    it("an unreachable cache is an unavailable error naming the URL", async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));
      const cache = await openStore(`nix+http://127.0.0.1:${port}`);
      await assert.rejects(cache.pathInfos.get(tree.storePath.digest), (err: unknown) => {
        assert.ok(err instanceof CastoreError);
        assert.equal(err.code, "unavailable");
        assert.match(err.message, /unable to download 'http:\/\/127.0.0.1:\d+\/[0-9a-z]{32}\.narinfo': connect ECONNREFUSED/);
        return true;
      });
      await cache.close();
    });
  });
});
