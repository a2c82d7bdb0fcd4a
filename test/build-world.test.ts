// The test world (examples/) built by real nix-build, in its sandbox on a throw-away chroot
// store, and by `tvix build` on a throw-away store: every deterministic derivation must get
// the same output paths, NAR hashes and sizes, references, deriver and content address.
import assert from "node:assert/strict";
import { type ChildProcess, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { startServer } from "./support/static-server.ts";
import { type NixPathInfo, NixBuildError, freshNixStore, nixBuild, nixPathInfos } from "./support/nix-build.ts";
import { nix, tvix } from "./support/nix.ts";

const EXAMPLES = fileURLToPath(new URL("../examples", import.meta.url));
const LIB = `${EXAMPLES}/lib.nix`;
const TVIX = fileURLToPath(new URL("../bin/tvix.js", import.meta.url));
/** Every derivation of the world but `broken`. */
const DETERMINISTIC = ["hello", "multi", "chain", "diamond", "passAsFile", "structured", "fixed"];

let server: ChildProcess;
let url: string;
let nixStore: ReturnType<typeof freshNixStore>;
/** Attribute → the output paths of its derivation, as tvix evaluates them. */
let evaluated: Record<string, string[]>;
/** What nix-build printed for the deterministic attributes, in order. */
let nixPrinted: string[];
/** The world's arguments: the test's HTTP server. */
let worldArgs: string[];

before(async () => {
  const started = await startServer(`${EXAMPLES}/served`);
  server = started.child;
  url = `http://127.0.0.1:${started.port}`;
  nixStore = freshNixStore();
  const outputs = `builtins.mapAttrs (name: drv: map (output: output.outPath) drv.all) (removeAttrs (import ${EXAMPLES} { url = "${url}"; }) [ "broken" ])`;
  evaluated = JSON.parse(tvix(["eval", "--strict", "--json", "-E", outputs]).join("\n")) as Record<string, string[]>;
  worldArgs = [EXAMPLES, "--argstr", "url", url, ...DETERMINISTIC.flatMap((attr) => ["-A", attr])];
  nixPrinted = await nixBuild(nixStore.dir, worldArgs, { jobs: 2 });
});

after(() => {
  server?.kill();
  nixStore?.dispose();
});

/**
 * A build that writes down what it sees of the sandbox. The server is the test's own: a build
 * that is not fixed-output must not reach it.
 */
function sandboxProbe(): string {
  return `(import ${LIB}).run "sandbox-probe" ''
    set +e
    {
      echo "hostname: $(hostname)"
      echo "uid: $(id -u)"
      test -e ${EXAMPLES}/default.nix && echo "host files: visible" || echo "host files: hidden"
      wget -q -O - ${url}/greeting.txt >/dev/null 2>&1 && echo "network: reachable" || echo "network: unreachable"
    } > $out
  ''`;
}
const SANDBOXED = "hostname: localhost\nuid: 1000\nhost files: hidden\nnetwork: unreachable\n";

describe("nix-build, the oracle", () => {
  test("builds in its sandbox: hostname localhost, no host files, no network", async () => {
    const [output] = await nixBuild(nixStore.dir, ["-E", sandboxProbe()]);
    assert.equal(readFileSync(`${nixStore.dir}${output}`, "utf8"), SANDBOXED);
  });

  test("builds the world to the output paths tvix evaluates", async () => {
    const expectedPrinted = DETERMINISTIC.map((attr) => evaluated[attr][0]);
    assert.deepEqual(nixPrinted, expectedPrinted);
    const all = Object.values(evaluated).flat();
    assert.equal(all.length, DETERMINISTIC.length + 2, "multi has three outputs");
    const infos = await nixPathInfos(nixStore.dir, all);
    // An invalid path would be listed too, as {"path":…,"valid":false}.
    assert.deepEqual(infos.filter((info) => info.narHash?.startsWith("sha256-")).map((info) => info.path).sort(), [...all].sort());
  });

  test("broken fails with its log", async () => {
    const failure = await nixBuild(nixStore.dir, [EXAMPLES, "-A", "broken"]).then(
      () => assert.fail("broken built"),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof NixBuildError);
    assert.equal(failure.code, 100);
    assert.match(failure.stderr, /about to fail/);
    assert.match(failure.stderr, /failed with exit code 3/);
  });
});


/** The fields of path-info that must agree (registration time and signatures may not), by path. */
function comparable(infos: NixPathInfo[]): Map<string, Partial<NixPathInfo>> {
  return new Map(infos.map(({ path, narHash, narSize, references, deriver, ca }) => [path, { narHash, narSize, references: [...references].sort(), deriver, ca }]));
}

describe("tvix build against nix-build", () => {
  let tvixStore: ReturnType<typeof freshTvixStore>;
  let tvixPrinted: string[];

  before(() => {
    tvixStore = freshTvixStore();
    tvixPrinted = tvix(["build", "--store", tvixStore.url, "-o", join(tvixStore.dir, "result"), "-j", "2", ...worldArgs]);
  });
  after(() => tvixStore?.dispose());

  test("prints the output paths nix-build prints", () => {
    assert.deepEqual(tvixPrinted, nixPrinted);
  });

  test("every output has Nix's NAR hash and size, references, deriver and CA", async () => {
    const paths = Object.values(evaluated).flat();
    const nixInfos = await nixPathInfos(nixStore.dir, paths);
    const tvixInfos = JSON.parse(tvix(["store", "path-info", "--store", tvixStore.url, "--json", ...paths]).join("\n")) as NixPathInfo[];
    assert.equal(tvixInfos.length, 9);
    assert.deepEqual(comparable(tvixInfos), comparable(nixInfos));
  });

  test("-o LINK: the links nix-build makes, to directories on disk holding what Nix built", async () => {
    const selected = [EXAMPLES, "-A", "multi", "-A", "multi.dev", "-A", "multi.doc", "-A", "hello"];
    const nixLinks = mkdtempSync(join(tmpdir(), "tvix-world-nix-links-"));
    try {
      const nixPrintedHere = await nixBuild(nixStore.dir, selected, { outLink: join(nixLinks, "world") });
      const tvixLinks = join(tvixStore.dir, "links");
      mkdirSync(tvixLinks);
      assert.deepEqual(tvix(["build", "--store", tvixStore.url, "-o", join(tvixLinks, "world"), ...selected]), nixPrintedHere);
      // Nix's links point into its chroot store by their /nix/store names.
      const names = readdirSync(nixLinks).sort();
      assert.deepEqual(names, ["world", "world-2", "world-dev", "world-doc"]);
      assert.deepEqual(readdirSync(tvixLinks).sort(), names);
      const nixHashes = new Map((await nixPathInfos(nixStore.dir, nixPrintedHere)).map((info) => [info.path, info.narHash]));
      for (const name of names) {
        assert.equal(narHashOnDisk(join(tvixLinks, name)), nixHashes.get(readlinkSync(join(nixLinks, name))), name);
      }
      assert.equal(readFileSync(join(tvixLinks, "world", "bin", "multi"), "utf8"), "#!/bin/sh\necho multi\n");
    } finally {
      rmSync(nixLinks, { recursive: true, force: true });
    }
  });

  test("the sandbox looks the same from inside", () => {
    const [output] = tvix(["build", "--store", tvixStore.url, "-o", join(tvixStore.dir, "probe"), "-E", sandboxProbe()]);
    assert.match(output, /-sandbox-probe$/);
    assert.equal(readFileSync(join(tvixStore.dir, "probe"), "utf8"), SANDBOXED);
  });

  test("broken fails as with nix-build, with the tail of its log", () => {
    const { code, stderr } = tvixExit(["build", "--store", tvixStore.url, "-o", join(tvixStore.dir, "broken"), EXAMPLES, "-A", "broken"]);
    assert.equal(code, 100);
    assert.match(stderr, /about to fail/);
    assert.match(stderr, /error: builder for '\/nix\/store\/[0-9a-z]{32}-broken\.drv' failed with exit code 3/);
  });
});

describe("tvix instantiate against nix-build", () => {
  test("writes the same store derivations and busybox", async () => {
    const tvixStore = freshTvixStore();
    try {
      const drvs = tvix(["instantiate", "--store", tvixStore.url, ...worldArgs]);
      const nixInfos = await nixPathInfos(nixStore.dir, drvs, { recursive: true, derivation: true });
      const tvixInfos = JSON.parse(tvix(["store", "path-info", "--store", tvixStore.url, "--json", "--recursive", ...drvs]).join("\n")) as NixPathInfo[];
      // 7 derivations asked for, the 5 they depend on (chain and diamond), and busybox.
      assert.equal(nixInfos.length, 13);
      assert.deepEqual(comparable(tvixInfos), comparable(nixInfos));
    } finally {
      tvixStore.dispose();
    }
  });
});

/** A fresh embedded tvix store (local://DIR/store), with DIR for the result links. */
function freshTvixStore(): { dir: string; url: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tvix-world-"));
  return { dir, url: `local://${dir}/store`, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the tvix CLI and returns how it exited, for commands expected to fail. */
function tvixExit(args: string[]): { code: number | null; stderr: string } {
  const child = spawnSync(process.execPath, [TVIX, ...args], { encoding: "utf8" });
  return { code: child.status, stderr: child.stderr };
}

/** The NAR hash of a file or directory on disk, as Nix writes it (SRI). */
function narHashOnDisk(path: string): string {
  return nix(["hash", "path", "--type", "sha256", realpathSync(path)])[0];
}
