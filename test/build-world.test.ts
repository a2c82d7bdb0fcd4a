// The test world (examples/) built by real nix-build, in its sandbox on a throw-away chroot
// store, and by `tvix build` on a throw-away store: every deterministic derivation must get
// the same output paths, NAR hashes and sizes, references, deriver and content address.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { startServer } from "./support/static-server.ts";
import { NixBuildError, freshNixStore, nixBuild, nixPathInfos } from "./support/nix-build.ts";
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

before(async () => {
  const started = await startServer(`${EXAMPLES}/served`);
  server = started.child;
  url = `http://127.0.0.1:${started.port}`;
  nixStore = freshNixStore();
  const outputs = `builtins.mapAttrs (name: drv: map (output: output.outPath) drv.all) (removeAttrs (import ${EXAMPLES} { url = "${url}"; }) [ "broken" ])`;
  evaluated = JSON.parse(tvix(["eval", "--strict", "--json", "-E", outputs]).join("\n")) as Record<string, string[]>;
  nixPrinted = await nixBuild(nixStore.dir, [EXAMPLES, "--argstr", "url", url, ...DETERMINISTIC.flatMap((attr) => ["-A", attr])], { jobs: 2 });
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
    for (const path of all) assert.ok(infos.get(path)?.narHash.startsWith("sha256-"), `nix-build made ${path}`);
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

