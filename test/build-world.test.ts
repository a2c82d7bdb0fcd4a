// The test world (examples/) built by real nix-build, in its sandbox on a throw-away chroot
// store, and by `tvix build` on a throw-away store: every deterministic derivation must get
// the same output paths, NAR hashes and sizes, references, deriver and content address.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { startServer } from "./support/static-server.ts";
import { type NixPathInfo, NixBuildError, freshNixStore, nixBuild, nixPathInfos } from "./support/nix-build.ts";
import { tvix } from "./support/nix.ts";

const EXAMPLES = fileURLToPath(new URL("../examples", import.meta.url));
const LIB = `${EXAMPLES}/lib.nix`;
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

describe("nix-build, the oracle", () => {
  test("builds in its sandbox: hostname localhost, no host files, no network", async () => {
    // The server is the test's own; a sandboxed build that is not fixed-output cannot reach it.
    const probe = `(import ${LIB}).run "sandbox-probe" ''
      set +e
      {
        echo "hostname: $(hostname)"
        echo "uid: $(id -u)"
        test -e ${EXAMPLES}/default.nix && echo "host files: visible" || echo "host files: hidden"
        wget -q -O - ${url}/greeting.txt >/dev/null 2>&1 && echo "network: reachable" || echo "network: unreachable"
      } > $out
    ''`;
    const [output] = await nixBuild(nixStore.dir, ["-E", probe]);
    assert.equal(readFileSync(`${nixStore.dir}${output}`, "utf8"), "hostname: localhost\nuid: 1000\nhost files: hidden\nnetwork: unreachable\n");
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

describe("tvix against nix-build", () => {
  test("tvix instantiate writes the same store derivations and busybox", async () => {
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

/** A fresh embedded tvix store (local://). */
function freshTvixStore(): { url: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tvix-world-store-"));
  return { url: `local://${dir}`, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
