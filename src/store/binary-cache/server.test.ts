import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Hash, hashBytes } from "../../nix-compat/hash.ts";
import { type NarInfo, fingerprint, formatNarInfo, parseNarInfo } from "../../nix-compat/narinfo.ts";
import { SecretKey, trustedKeys, verifySignature } from "../../nix-compat/signing.ts";
import { openStore, type Store } from "../composition.ts";
import type { PathInfo } from "../path-info.ts";
import { addNarPath, cacheEntry, collect, once, storePathFor } from "../../../test/support/binary-cache.ts";
import { narBytes, useSampleNar } from "../../../test/support/nar.ts";
import { decompress } from "./compression.ts";
import { BinaryCacheServer } from "./server.ts";

describe("tvix store serve: the HTTP binary cache server", () => {
  const sample = useSampleNar("binary-cache-server");
  const key = SecretKey.generate("test-cache-1");
  const log: string[] = [];
  let store: Store;
  let server: BinaryCacheServer;
  let base: string;
  let tree: PathInfo;
  let fileNar: Buffer;
  let file: PathInfo;

  before(async () => {
    store = await openStore("memory://");
    tree = await addNarPath(store, sample.nar, "sample-tree");
    fileNar = narBytes(`${sample.tree}/a`);
    file = await addNarPath(store, fileNar, "hello", [tree.storePath]);
    server = await BinaryCacheServer.listen(store, "127.0.0.1", 0, { signingKey: key, compression: "xz", priority: 30, log: (line) => log.push(line) });
    base = `http://127.0.0.1:${server.address.port}`;
  });
  after(async () => {
    await server.close();
    await store.close();
  });

  const get = (path: string, init?: RequestInit): Promise<Response> => fetch(`${base}/${path}`, init);

  async function narinfoOf(info: PathInfo): Promise<NarInfo> {
    const res = await get(`${info.storePath.hashPart}.narinfo`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/x-nix-narinfo");
    return parseNarInfo(await res.text());
  }

  it("announces the store directory and priority in nix-cache-info", async () => {
    const res = await get("nix-cache-info");
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n");
  });

  it("renders narinfo from the PathInfo, signed with the serve key", async () => {
    const narinfo = await narinfoOf(file);
    assert.equal(narinfo.storePath.baseName, file.storePath.baseName);
    assert.deepEqual(narinfo.references.map((r) => r.baseName), [tree.storePath.baseName]);
    assert.equal(narinfo.narSize, fileNar.length);
    assert.ok(narinfo.narHash.equals(hashBytes("sha256", fileNar)));
    assert.equal(narinfo.compression, "xz");
    assert.equal(narinfo.url, `nar/${file.storePath.hashPart}-${narinfo.narHash.encode("nix32")}.nar.xz`);
    assert.equal(narinfo.fileHash, undefined, "no FileHash for a NAR compressed on the fly");
    assert.equal(narinfo.signatures.length, 1);
    assert.ok(verifySignature(fingerprint(narinfo), narinfo.signatures[0], trustedKeys([key.publicKey])));
    const head = await get(`${file.storePath.hashPart}.narinfo`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get("content-length")), formatNarInfo(narinfo).length);
    assert.equal(await head.text(), "");
  });

  it("serves the NAR in every compression, as the extension says", async () => {
    const narinfo = await narinfoOf(tree);
    const stem = narinfo.url.replace(/\.xz$/, "");
    for (const [extension, compression] of [["", "none"], [".xz", "xz"], [".zst", "zstd"], [".br", "br"]] as const) {
      const res = await get(`${stem}${extension}`);
      assert.equal(res.status, 200, extension);
      const body = Buffer.from(await res.arrayBuffer());
      assert.ok((await collect(decompress(compression, once(body)))).equals(sample.nar), compression);
    }
    const head = await get(stem, { method: "HEAD" });
    assert.equal(Number(head.headers.get("content-length")), sample.nar.length);
    assert.equal((await get(`${stem}.bz2`)).status, 404);
  });

  it("answers byte ranges of an uncompressed NAR (resumed downloads), ignores them for compressed ones", async () => {
    const stem = (await narinfoOf(tree)).url.replace(/\.xz$/, "");
    const size = sample.nar.length;
    const cases: [string, number, number][] = [["bytes=0-99", 0, 100], ["bytes=100-", 100, size], [`bytes=-50`, size - 50, size], [`bytes=10-${size + 100}`, 10, size]];
    for (const [range, start, end] of cases) {
      const res = await get(stem, { headers: { range } });
      assert.equal(res.status, 206, range);
      assert.equal(res.headers.get("content-range"), `bytes ${start}-${end - 1}/${size}`);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(sample.nar.subarray(start, end)), range);
    }
    const outside = await get(stem, { headers: { range: `bytes=${size}-` } });
    assert.equal(outside.status, 416);
    assert.equal(outside.headers.get("content-range"), `bytes */${size}`);
    const several = await get(stem, { headers: { range: "bytes=0-1,5-6" } });
    assert.equal(several.status, 200);
    assert.equal((await several.arrayBuffer()).byteLength, size);
    const compressed = await get(`${stem}.zst`, { headers: { range: "bytes=10-" } });
    assert.equal(compressed.status, 200);
    assert.ok((await collect(decompress("zstd", once(Buffer.from(await compressed.arrayBuffer()))))).equals(sample.nar));
  });

  it("answers 404 for what it lacks and 405/400 for what it does not do", async () => {
    const absent = storePathFor(Buffer.from("absent"), "absent");
    assert.equal((await get(`${absent.hashPart}.narinfo`)).status, 404);
    const narinfo = await narinfoOf(tree);
    const wrongHash = narinfo.url.replace(/-[0-9a-z]{52}\./, `-${"0".repeat(52)}.`);
    assert.equal((await get(wrongHash)).status, 404, "a URL whose NAR hash is not the path's");
    assert.equal((await get(`nar/${absent.hashPart}-${"0".repeat(52)}.nar`)).status, 404);
    assert.equal((await get("nar/never-uploaded.nar.xz", { method: "HEAD" })).status, 404);
    assert.equal((await get("index.html")).status, 404);
    assert.equal((await get("nix-cache-info", { method: "DELETE" })).status, 405);
    const put = await get("somewhere/else", { method: "PUT", body: "x" });
    assert.equal(put.status, 400);
    assert.match(await put.text(), /only nar\/NAME and HASH.narinfo can be uploaded/);
    assert.equal((await get("%E0%A4%A.narinfo")).status, 400);
  });

  describe("uploads, as nix copy --to makes them", () => {
    const fresh = (name: string): Buffer => narBytes(`${sample.tree}/${name}`);

    async function upload(entry: { narinfo: NarInfo; file: Buffer }, narinfoText = formatNarInfo(entry.narinfo)): Promise<Response> {
      const nar = await get(entry.narinfo.url, { method: "PUT", body: entry.file });
      assert.equal(nar.status, 200);
      return get(`${entry.narinfo.storePath.hashPart}.narinfo`, { method: "PUT", body: narinfoText });
    }

    async function assertRefused(res: Response, message: RegExp, entry: { narinfo: NarInfo }): Promise<void> {
      assert.equal(res.status, 400);
      assert.match(await res.text(), message);
      assert.equal(await store.pathInfos.get(entry.narinfo.storePath.digest), undefined, "nothing stored");
      assert.equal((await get(`${entry.narinfo.storePath.hashPart}.narinfo`)).status, 404);
    }

    it("takes a NAR file, then its narinfo: the path appears, signed, and serves the same NAR", async () => {
      const nar = fresh("sub");
      const entry = await cacheEntry(storePathFor(nar, "uploaded"), nar, { references: [tree.storePath] });
      assert.equal((await get(entry.narinfo.url, { method: "HEAD" })).status, 404);
      const res = await upload(entry);
      assert.equal(res.status, 200, await res.text());
      const stored = await store.pathInfos.get(entry.narinfo.storePath.digest);
      assert.ok(stored);
      assert.equal(stored.narSize, nar.length);
      const served = await narinfoOf(stored);
      assert.ok(served.narHash.equals(entry.narinfo.narHash));
      assert.deepEqual(served.references.map((r) => r.baseName), [tree.storePath.baseName]);
      assert.ok(verifySignature(fingerprint(served), served.signatures[0], trustedKeys([key.publicKey])));
      const body = Buffer.from(await (await get(served.url)).arrayBuffer());
      assert.ok((await collect(decompress("xz", once(body)))).equals(nar));
      // Nix keeps the narinfo it uploaded and later fetches the NAR by the uploaded name.
      assert.equal((await get(entry.narinfo.url, { method: "HEAD" })).status, 200);
      const again = Buffer.from(await (await get(entry.narinfo.url)).arrayBuffer());
      assert.ok((await collect(decompress("xz", once(again)))).equals(nar));
    });

    it("a second narinfo naming an upload taken in already (equal contents) finds it", async () => {
      const nar = fresh("x");
      const first = await cacheEntry(storePathFor(nar, "first"), nar, { compression: "zstd" });
      assert.equal((await upload(first)).status, 200);
      const second = { ...first.narinfo, storePath: storePathFor(nar, "second") };
      const res = await get(`${second.storePath.hashPart}.narinfo`, { method: "PUT", body: formatNarInfo(second) });
      assert.equal(res.status, 200, await res.text());
      const info = await store.pathInfos.get(second.storePath.digest);
      assert.equal(info?.narSize, nar.length);
    });

    it("refuses a NAR whose hash is not the narinfo's NarHash", async () => {
      const nar = fresh("empty");
      const entry = await cacheEntry(storePathFor(nar, "bad-hash"), nar, { compression: "none" });
      const lying = { ...entry.narinfo, narHash: hashBytes("sha256", "something else") };
      await assertRefused(await upload(entry, formatNarInfo(lying)), /NarHash mismatch: the narinfo says sha256:[0-9a-z]{52}, the NAR file gives sha256:/, entry);
    });

    it("refuses a truncated NAR, compressed or not", async () => {
      const nar = fresh("sub");
      for (const compression of ["none", "xz"] as const) {
        const entry = await cacheEntry(storePathFor(nar, `truncated-${compression}`), nar, { compression });
        const cut = { narinfo: { ...entry.narinfo, fileHash: undefined, fileSize: undefined }, file: entry.file.subarray(0, entry.file.length - 20) };
        const message = compression === "none" ? /invalid NAR at offset \d+|truncated|unexpected end/ : /corrupt xz data/;
        await assertRefused(await upload(cut), message, entry);
      }
    });

    it("refuses a file that does not match FileHash/FileSize, a missing upload, a misnamed or garbled narinfo", async () => {
      const nar = fresh("a");
      const entry = await cacheEntry(storePathFor(nar, "checks"), nar);
      const wrongFile = { ...entry.narinfo, fileHash: new Hash("sha256", Buffer.alloc(32)) };
      await assertRefused(await upload(entry, formatNarInfo(wrongFile)), /FileHash mismatch/, entry);
      const wrongSize = { ...entry.narinfo, fileSize: entry.file.length + 1 };
      await assertRefused(await upload(entry, formatNarInfo(wrongSize)), /FileSize mismatch/, entry);
      const other = await cacheEntry(storePathFor(nar, "never-uploaded"), nar, { compression: "br" });
      const missing = await get(`${other.narinfo.storePath.hashPart}.narinfo`, { method: "PUT", body: formatNarInfo(other.narinfo) });
      await assertRefused(missing, /the NAR file 'nar\/[0-9a-z]+\.nar\.br' of '\/nix\/store\/[0-9a-z]{32}-never-uploaded' was not uploaded/, other);
      const misnamed = await get(`${tree.storePath.hashPart}.narinfo`, { method: "PUT", body: formatNarInfo(entry.narinfo) });
      assert.equal(misnamed.status, 400);
      assert.match(await misnamed.text(), /describes another store path/);
      const garbled = await get(`${entry.narinfo.storePath.hashPart}.narinfo`, { method: "PUT", body: "StorePath: nonsense\n" });
      await assertRefused(garbled, /narinfo line 1, field StorePath/, entry);
      const escape = { ...entry.narinfo, url: "../../etc/passwd" };
      await assertRefused(await get(`${entry.narinfo.storePath.hashPart}.narinfo`, { method: "PUT", body: formatNarInfo(escape) }), /not an uploaded NAR file/, entry);
    });

    it("logs one line per request", () => {
      assert.ok(log.some((line) => /^PUT \/[0-9a-z]{32}\.narinfo 200 [\d.]+ ms$/.test(line)), log.join("\n"));
      assert.ok(log.some((line) => /^GET \/nix-cache-info 200 /.test(line)));
    });
  });
});
