// Real Nix 2.8 against tvix's binary cache: `nix copy --to http://…` into `tvix store serve`
// and back out into a fresh Nix store, signed with a `tvix key` key that Nix checks; a cache
// written by `nix copy --to file://…` read by `tvix store copy --from`; hostile caches refused.
// Nix stores are chroot stores (`local?root=…`) under a temporary directory, with their own
// HOME and narinfo disk cache, and no substituters.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { hashBytes } from "../src/nix-compat/hash.ts";
import { makeTextPath } from "../src/nix-compat/store-path.ts";
import { download } from "./support/binary-cache.ts";
import { createSampleTree, narBytes } from "./support/nar.ts";

const TVIX = fileURLToPath(new URL("../bin/tvix.js", import.meta.url));

interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { env, maxBuffer: 1 << 26, encoding: "utf8" }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      if (err && typeof err.code !== "number") reject(err);
      else resolve({ status, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function ok(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  const result = await run(command, args, env, input);
  assert.equal(result.status, 0, `${command} ${args.join(" ")} failed:\n${result.stderr}`);
  return result.stdout;
}

interface PathJson {
  path: string;
  narHash: string;
  narSize: number;
  references: string[];
  signatures?: string[];
}

describe("binary caches with real Nix 2.8", { timeout: 90_000 }, () => {
  let work: string;
  /** Environment of the Nix that uploads, and of a Nix that never saw the uploads (its own narinfo cache). */
  let uploaderEnv: NodeJS.ProcessEnv;
  let downloaderEnv: () => NodeJS.ProcessEnv;
  let sourceStore: string;
  let leaf: string;
  let top: string;
  const servers: ChildProcess[] = [];

  const nix = (env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> => ok("nix", ["--extra-experimental-features", "nix-command", ...args], env);
  const tryNix = (env: NodeJS.ProcessEnv, ...args: string[]): Promise<Result> => run("nix", ["--extra-experimental-features", "nix-command", ...args], env);
  const tvix = (...args: string[]): Promise<Result> => run(process.execPath, [TVIX, ...args], uploaderEnv);
  const chrootStore = (name: string): string => `local?root=${join(work, name)}`;

  async function pathInfos(store: string, path: string, env = uploaderEnv): Promise<PathJson[]> {
    return JSON.parse(await nix(env, "path-info", "--json", "--recursive", "--store", store, path)) as PathJson[];
  }

  const essentials = (infos: PathJson[]): unknown => infos.map(({ path, narHash, narSize, references }) => ({ path, narHash, narSize, references })).sort((a, b) => (a.path < b.path ? -1 : 1));

  /** Starts `tvix store serve` and waits for its address. */
  async function serve(...args: string[]): Promise<{ url: string; log: string[] }> {
    const child = spawn(process.execPath, [TVIX, "store", "serve", "--listen", "127.0.0.1:0", ...args], { env: uploaderEnv, stdio: ["ignore", "pipe", "pipe"] });
    servers.push(child);
    const log: string[] = [];
    createInterface({ input: child.stderr! }).on("line", (line) => log.push(line));
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`tvix store serve exited with ${code}: ${log.join("\n")}`)));
    });
    const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
    assert.ok(match, first);
    return { url: match[1], log };
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "tvix-binary-cache-nix-"));
    const base: NodeJS.ProcessEnv = { ...process.env, HOME: join(work, "home"), NIX_CONFIG: "substituters =\nexperimental-features = nix-command\n" };
    delete base.TVIX_STORE;
    delete base.TVIX_STORE_COMPOSITION;
    uploaderEnv = { ...base, XDG_CACHE_HOME: join(work, "cache-uploader") };
    let downloaders = 0;
    downloaderEnv = () => ({ ...base, XDG_CACHE_HOME: join(work, `cache-downloader-${downloaders++}`) });
    sourceStore = chrootStore("source");

    // A content-addressed tree of every kind of node with some incompressible data (Nix
    // xz-compresses what it uploads, slowly), and a path that refers to it (registered as
    // nix-store --load-db does).
    const tree = join(work, "tree");
    createSampleTree(tree);
    writeFileSync(join(tree, "random"), randomBytes(512 << 10));
    leaf = (await nix(uploaderEnv, "store", "add-path", "--store", sourceStore, tree)).trim();
    const contents = `refers to ${leaf}\n`;
    top = makeTextPath("top", hashBytes("sha256", contents), [leaf]).toAbsolute();
    mkdirSync(join(work, "source/nix/store"), { recursive: true });
    writeFileSync(join(work, "source", top), contents);
    const topHash = (await ok("nix-hash", ["--type", "sha256", join(work, "source", top)], uploaderEnv)).trim();
    const topSize = narBytes(join(work, "source", top)).length;
    await ok("nix-store", ["--store", sourceStore, "--load-db"], uploaderEnv, `${top}\nsha256:${topHash}\n${topSize}\n\n1\n${leaf}\n`);
  });

  after(() => {
    for (const server of servers) server.kill();
    rmSync(work, { recursive: true, force: true });
  });

  it("nix copy --to http:// into tvix store serve, then --from it into a fresh Nix store: same NAR hashes", async () => {
    const { url, log } = await serve("--store", "memory://");
    await nix(uploaderEnv, "copy", "--store", sourceStore, "--to", url, top);
    assert.ok(log.some((line) => /^PUT \/nar\/[0-9a-z]{52}\.nar\.xz 200 /.test(line)), log.join("\n"));
    assert.ok(log.some((line) => /^PUT \/[0-9a-z]{32}\.narinfo 200 /.test(line)));
    const expected = essentials(await pathInfos(sourceStore, top));
    // A Nix that never saw the uploads gets tvix's own narinfo and NAR URLs.
    await nix(downloaderEnv(), "copy", "--no-check-sigs", "--store", chrootStore("fresh"), "--from", url, top);
    assert.deepEqual(essentials(await pathInfos(chrootStore("fresh"), top)), expected);
    assert.ok(log.some((line) => /^GET \/nar\/[0-9a-z]{32}-[0-9a-z]{52}\.nar 200 /.test(line)), log.join("\n"));
    // The uploader's Nix keeps the narinfo it uploaded and fetches the NARs by their uploaded names.
    await nix(uploaderEnv, "copy", "--no-check-sigs", "--store", chrootStore("fresh-uploader"), "--from", url, top);
    assert.deepEqual(essentials(await pathInfos(chrootStore("fresh-uploader"), top)), expected);
  });

  it("signed with a tvix key: Nix accepts the paths with that key trusted, refuses them with another", async () => {
    for (const name of ["", "other-"]) {
      const generated = await tvix("key", "generate", "tvix-test-1", join(work, `${name}secret`), join(work, `${name}public`));
      assert.equal(generated.status, 0, generated.stderr);
    }
    const { url } = await serve("--store", "memory://", "--sign-key", join(work, "secret"), "--compression", "zstd");
    await nix(uploaderEnv, "copy", "--store", sourceStore, "--to", url, top);
    const trusted = readFileSync(join(work, "public"), "utf8");
    await nix(downloaderEnv(), "copy", "--store", chrootStore("signed"), "--option", "trusted-public-keys", trusted, "--from", url, top);
    const infos = await pathInfos(chrootStore("signed"), top);
    assert.deepEqual(essentials(infos), essentials(await pathInfos(sourceStore, top)));
    for (const info of infos) assert.ok(info.signatures?.some((s) => s.startsWith("tvix-test-1:")), JSON.stringify(info));
    // Same key name, other key: the signatures are worthless. Nix still takes the tree, which is
    // content-addressed (it checks the address instead), but not the path that refers to it.
    const refused = await tryNix(downloaderEnv(), "copy", "--store", chrootStore("refused"), "--option", "trusted-public-keys", readFileSync(join(work, "other-public"), "utf8"), "--from", url, top);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, new RegExp(`cannot add path '${top}' because it lacks a valid signature`));
    assert.deepEqual(readdirSync(join(work, "refused/nix/store")).filter((name) => !name.startsWith(".")), [leaf.slice("/nix/store/".length)]);
  });

  describe("a cache written by nix copy --to file://", () => {
    let cache: string;
    let keys: string;

    before(async () => {
      cache = join(work, "file-cache");
      await nix(uploaderEnv, "copy", "--store", sourceStore, "--to", `file://${cache}?secret-key=${join(work, "secret")}`, top);
      keys = `trusted-public-keys=${encodeURIComponent(readFileSync(join(work, "public"), "utf8"))}`;
      assert.ok(readdirSync(join(cache, "nar")).every((name) => name.endsWith(".nar.xz")));
    });

    it("is read by tvix store copy --from into a local store: same NAR hashes, and Nix gets them back", async () => {
      const local = `local://${join(work, "tvix-local")}`;
      const copied = await tvix("store", "copy", "--from", `file://${cache}?${keys}`, "--to", local, top);
      assert.equal(copied.status, 0, copied.stderr);
      assert.deepEqual(copied.stdout.trim().split("\n"), [leaf, top]);
      const ours = JSON.parse((await tvix("store", "path-info", "--json", "--recursive", "--store", local, top)).stdout) as PathJson[];
      assert.deepEqual(essentials(ours), essentials(await pathInfos(sourceStore, top)));
      // Served from the local store, the contents reach a fresh Nix store intact.
      const { url } = await serve("--store", local);
      await nix(downloaderEnv(), "copy", "--no-check-sigs", "--store", chrootStore("from-local"), "--from", url, top);
      assert.deepEqual(essentials(await pathInfos(chrootStore("from-local"), top)), essentials(ours));
      // Copying again copies nothing.
      const again = await tvix("store", "copy", "--from", `file://${cache}?${keys}`, "--to", local, top);
      assert.equal(again.stdout, "");
    });

    /** Copies from a tampered copy of the cache into a fresh local store; expects failure and an empty store. */
    async function refusedCopy(name: string, tamper: (dir: string, narinfo: string, nar: string) => void, message: RegExp, query = keys): Promise<void> {
      const dir = join(work, `hostile-${name}`);
      cpSync(cache, dir, { recursive: true });
      const hashPart = leaf.slice("/nix/store/".length, "/nix/store/".length + 32);
      const narinfo = readFileSync(join(dir, `${hashPart}.narinfo`), "latin1");
      const nar = /^URL: (.*)$/m.exec(narinfo)![1];
      tamper(dir, join(dir, `${hashPart}.narinfo`), join(dir, nar));
      const local = `local://${join(work, `tvix-${name}`)}`;
      const result = await tvix("store", "copy", "--from", `file://${dir}?${query}`, "--to", local, top);
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
      const after = JSON.parse((await tvix("store", "path-info", "--json", "--store", local, leaf, top)).stdout) as { valid?: boolean }[];
      assert.deepEqual(after.map((i) => i.valid), [false, false], "nothing stored");
    }

    it("hostile: a bad signature, an untrusted key, a NAR that is not the NarHash, a truncated NAR", async () => {
      await refusedCopy("untrusted", () => {}, /^error: binary cache file:\/\/.*: path '\/nix\/store\/[0-9a-z]{32}-(tree|top)' lacks a valid signature by a trusted key \(signed by: tvix-test-1\)/m, `trusted-public-keys=${encodeURIComponent(readFileSync(join(work, "other-public"), "utf8"))}`);
      await refusedCopy(
        "bad-signature",
        (_, narinfo) => writeFileSync(narinfo, readFileSync(narinfo, "latin1").replace(/^NarSize: (\d+)$/m, (_m, size) => `NarSize: ${Number(size) + 8}`)),
        /lacks a valid signature by a trusted key/,
      );
      await refusedCopy(
        "other-nar",
        (dir, narinfo, nar) => {
          // Another path's NAR file under this one's name (the FileHash/FileSize lines removed).
          const other = readdirSync(join(dir, "nar")).map((n) => join(dir, "nar", n)).find((n) => n !== nar)!;
          cpSync(other, nar);
          writeFileSync(narinfo, readFileSync(narinfo, "latin1").replace(/^File(Hash|Size): .*\n/gm, ""));
        },
        /NarHash mismatch|NarSize mismatch|invalid NAR/,
      );
      await refusedCopy("truncated", (_, __, nar) => truncateSync(nar, 1000), /FileSize mismatch|corrupt xz data/);
      await refusedCopy(
        "truncated-unchecked",
        (_, narinfo, nar) => {
          truncateSync(nar, 1000);
          writeFileSync(narinfo, readFileSync(narinfo, "latin1").replace(/^File(Hash|Size): .*\n/gm, ""));
        },
        /corrupt xz data: /,
      );
    });
  });

  it("streams a large NAR fast (uncompressed and zstd), byte for byte what Nix dumps", async (t) => {
    const big = join(work, "big");
    mkdirSync(big);
    const block = randomBytes(1 << 20);
    const file = Buffer.alloc(128 << 20);
    for (let at = 0; at < file.length; at += block.length) block.copy(file, at);
    writeFileSync(join(big, "data"), file);
    const local = `local://${join(work, "tvix-big")}`;
    const added = await tvix("store", "add", "--store", local, big);
    assert.equal(added.status, 0, added.stderr);
    const path = added.stdout.trim();
    const expected = (await ok("nix-hash", ["--type", "sha256", big], uploaderEnv)).trim();
    const { url } = await serve("--store", local, "--quiet");
    const narinfo = await (await fetch(`${url}/${path.slice(11, 43)}.narinfo`)).text();
    const narUrl = `${url}/${/^URL: (.*)$/m.exec(narinfo)![1]}`;
    for (const [extension, compression] of [["", "none"], [".zst", "zstd"]] as const) {
      const { bytes, seconds, sha256 } = await download(`${narUrl}${extension}`, compression);
      assert.equal(sha256, expected, compression);
      t.diagnostic(`GET of a ${(file.length / 2 ** 20).toFixed(0)} MiB NAR (${compression}, ${(bytes / 2 ** 20).toFixed(0)} MiB sent): ${(file.length / 2 ** 20 / seconds).toFixed(0)} MiB/s of NAR`);
    }
  });
});
