import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { open } from "lmdb";
import { describeStoreBackend } from "../../../test/support/store-backend-suite.ts";
import { createRandomTree } from "../../../test/support/random-tree.ts";
import { putBlob } from "../../castore/blob-service.ts";
import { blake3 } from "../../castore/digest.ts";
import { Directory } from "../../castore/directory.ts";
import { putDirectories } from "../../castore/directory-service.ts";
import { CastoreError } from "../../castore/errors.ts";
import { parseStorePathBaseName } from "../../nix-compat/store-path.ts";
import { addLocalPath } from "../add-path.ts";
import { openStore } from "../composition.ts";
import { calculateNar } from "../nar/render.ts";

const root = mkdtempSync(join(tmpdir(), "tvix-local-store-"));
chmodSync(root, 0o755);
after(() => rmSync(root, { recursive: true, force: true }));
let count = 0;

function freshUrl(): string {
  return `local://${join(root, `store-${count++}`)}`;
}

describeStoreBackend("local://", () => openStore(freshUrl()));

function refusal(code: CastoreError["code"], pattern: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof CastoreError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  };
}

describe("local:// URLs", () => {
  test("a host, a relative path, the root, a query or a bad escape are refused", async () => {
    const cases: [string, RegExp][] = [
      ["local://relative/dir", /'relative' is not part of the path \(a local store has no host\); expected local:\/\/\/ABSOLUTE\/DIRECTORY$/],
      ["local:relative/dir", /the path must be absolute/],
      ["local://", /the path must be absolute/],
      ["local:///", /the root directory cannot be a store/],
      ["local:///tmp/x?mode=ro", /takes no query/],
      ["local:///tmp/%ff%", /malformed %-escape/],
    ];
    for (const [url, pattern] of cases) await assert.rejects(openStore(url), refusal("invalid-argument", pattern), url);
  });

  test("the directory is created on first use, %-escapes decoded", async () => {
    const dir = join(root, "with space", "nested");
    const store = await openStore(`local://${join(root, "with%20space", "nested")}`);
    await store.close();
    assert.deepEqual(readdirSync(dir).sort(), ["blobs", "meta.lmdb", "meta.lmdb-lock"]);
  });

  test("a path through a regular file gives a clear error", async () => {
    const file = join(root, "regular-file");
    writeFileSync(file, "");
    await assert.rejects(openStore(`local://${file}/store`), refusal("unavailable", /^cannot create the local store '.*regular-file\/store': Not a directory$/));
  });

  test("a user without permission gets a clear error, not a stack trace", async () => {
    // Root may write anywhere, so as root the attempt runs as nobody.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const locked = join(root, "locked");
    mkdirSync(locked, { mode: 0o555 });
    const existing = join(root, "existing");
    await (await openStore(`local://${existing}`)).close();
    for (const file of ["meta.lmdb", "meta.lmdb-lock"]) chmodSync(join(existing, file), 0o444);
    const script = `
      const { openStore } = await import(${JSON.stringify(new URL("../composition.ts", import.meta.url).href)});
      for (const url of ${JSON.stringify([`local://${locked}/store`, `local://${existing}`])}) {
        try { await (await openStore(url)).close(); console.log("opened"); } catch (err) { console.log(err.code + ": " + err.message); }
      }`;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { ...asNobody, encoding: "utf8" });
    assert.equal(result.stderr, "");
    assert.deepEqual(result.stdout.trim().split("\n"), [
      `unavailable: cannot create the local store '${locked}/store': Permission denied`,
      `unavailable: cannot open the store's metadata database '${existing}/meta.lmdb': Permission denied: Attempting to setup locks`,
    ]);
  });
});

describe("local:// on disk", () => {
  const trees = join(root, "trees");
  before(() => {
    mkdirSync(trees);
    createRandomTree(join(trees, "base-0"), { seed: 11, entries: 40 });
    createRandomTree(join(trees, "base-1"), { seed: 12, entries: 20, totalBytes: 2 << 20 });
  });

  test("what one process stored, others see at once; two processes importing at the same time both succeed", async () => {
    const url = freshUrl();
    const store = await openStore(url);
    try {
      const child = join(import.meta.dirname, "..", "..", "..", "test", "support", "crash-import-child.ts");
      const run = promisify(execFile);
      const outputs = await Promise.all([1, 2].map((seed) => run(process.execPath, [child, url, trees, String(seed), "6"], { env: { ...process.env, NODE_COMPILE_CACHE: join(tmpdir(), "node-compile-cache") } })));
      const lines = outputs.flatMap(({ stdout }) => stdout.trim().split("\n")).filter((line) => line.startsWith("stored "));
      assert.equal(lines.length, 12);
      // The store opened before the imports started sees them.
      for (const line of lines) {
        const [, baseName, narSha256, narSize] = line.split(" ");
        const info = await store.pathInfos.get(parseStorePathBaseName(baseName).digest);
        assert.ok(info, baseName);
        const nar = await calculateNar(info.node, store.blobs, store.directories);
        assert.equal(Buffer.from(nar.narSha256).toString("hex"), narSha256);
        assert.equal(nar.narSize, Number(narSize));
      }
      assert.deepEqual(readdirSync(join(url.slice("local://".length), "blobs", "tmp")), []);
    } finally {
      await store.close();
    }
  });

  test("a store closed and opened again has everything", async () => {
    const url = freshUrl();
    let store = await openStore(url);
    const info = await addLocalPath(store, join(trees, "base-1"));
    await store.close();
    store = await openStore(url);
    try {
      const again = await store.pathInfos.get(info.storePath.digest);
      assert.ok(again);
      assert.deepEqual(await calculateNar(again.node, store.blobs, store.directories), { narSize: info.narSize, narSha256: info.narSha256 });
    } finally {
      await store.close();
    }
  });

  test("corrupt directory and PathInfo records are reported as data-loss", async () => {
    const url = freshUrl();
    let store = await openStore(url);
    const leaf = Directory.fromNodes([{ kind: "symlink", name: "l", target: "t" }]);
    const tree = Directory.fromNodes([leaf.toNode("sub")]);
    await putBlob(store.blobs, new Uint8Array(0));
    await putDirectories(store.directories, [leaf, tree]);
    const info = await addLocalPath(store, join(trees, "base-0"));
    await store.close();

    const env = open({ path: join(url.slice("local://".length), "meta.lmdb"), noSubdir: true, maxDbs: 4 });
    const directories = env.openDB({ name: "directories", keyEncoding: "binary", encoding: "binary" });
    const pathInfos = env.openDB({ name: "pathinfos", keyEncoding: "binary", encoding: "binary" });
    // A valid directory under another's digest, garbage for a PathInfo.
    await directories.put(leaf.digest(), new Directory().encode());
    await pathInfos.put(info.storePath.digest, Buffer.from("not a PathInfo"));
    await env.close();

    store = await openStore(url);
    try {
      await assert.rejects(store.directories.get(leaf.digest()), refusal("data-loss", /^stored directory b3:\S+ is corrupt: its contents are b3:/));
      await assert.rejects(
        (async () => {
          for await (const directory of store.directories.getRecursive(tree.digest())) void directory;
        })(),
        refusal("data-loss", /is corrupt/),
      );
      await assert.rejects(store.pathInfos.get(info.storePath.digest), refusal("data-loss", /^stored PathInfo [0-9a-f]{40} is corrupt: /));
      assert.ok(await store.directories.get(tree.digest()), "the other records are unharmed");
      assert.ok(await store.blobs.has(blake3(new Uint8Array(0))));
    } finally {
      await store.close();
    }
  });
});
