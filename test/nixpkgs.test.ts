// Acceptance test on the pinned nixpkgs trees (../../shared/nixpkgs): `tvix eval`, run as a
// process, must give real Nix 2.8's results for the library tests, the module system tests
// (lib/tests/modules.sh, with tvix standing in for nix-instantiate) and the derivation paths
// of a few core packages.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { unpackedNixpkgs } from "./support/nixpkgs.ts";

const CORPUS = fileURLToPath(new URL("../../shared/nixpkgs/", import.meta.url));
const NODE = fileURLToPath(new URL("../node_modules/.bin/node", import.meta.url));
const TVIX = fileURLToPath(new URL("../bin/tvix.js", import.meta.url));
const SHIM_DIR = fileURLToPath(new URL("./support/nix-instantiate-shim/", import.meta.url));

interface Expected {
  /** Store paths of `(import TREE {}).NAME.drvPath`, and hello's outPath. */
  drvPaths: Record<string, string>;
  helloOutPath: string;
  /** The summary of lib/tests/modules.sh. */
  modules: { pass: number; fail: number };
}

// Real Nix 2.8.0's results, as recorded in ../../shared/nixpkgs/README.md.
const TREES: Record<string, Expected> = {
  "nixpkgs-0aeba64f": {
    drvPaths: {
      hello: "/nix/store/k5x5h9qjj4gld3j8p1qkc1saz0isj6b8-hello-2.10.drv",
      stdenv: "/nix/store/zip1g75jnzbqi586grri16zaphlryixd-stdenv-linux.drv",
      python3: "/nix/store/fa5a4hzi3npcn37pmkkhyr49iavpbxz0-python3-3.8.8.drv",
      git: "/nix/store/zxd1zwiih55ibkyjv2ivzkfmhxl43agc-git-2.30.1.drv",
      coreutils: "/nix/store/151ql4p9mankmwc618sgrv45s8gyyw7y-coreutils-8.32.drv",
    },
    helloOutPath: "/nix/store/nm7d7i9jlqf25nwvan7ghlv3jafnbryj-hello-2.10",
    // The 12 failures are regexes written for Nix 2.3's error layout, which 2.8 (and tvix) do not match.
    modules: { pass: 111, fail: 12 },
  },
  "nixpkgs-2411pre-203b6a7c": {
    drvPaths: {
      hello: "/nix/store/0ia8zz7yjzv9qqzh1pwn64rwlqdhywcp-hello-2.12.1.drv",
      stdenv: "/nix/store/bqm09mq3clsljsa5j1s2y7nxlhh5q4fj-stdenv-linux.drv",
      python3: "/nix/store/ycr8b2pa2ad6ngqrygyyhvy6fq12wy60-python3-3.12.7.drv",
      git: "/nix/store/br106f92rj0dwhb8pcad9ryh99g9ry08-git-2.47.0.drv",
      coreutils: "/nix/store/0pc75y49f3mbcpggf69151kby4am1jpr-coreutils-9.5.drv",
    },
    helloOutPath: "/nix/store/4zmhhbl6w241gy5fvib4mkibmsdgxb31-hello-2.12.1",
    modules: { pass: 255, fail: 0 },
  },
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(file, args, { ...options, maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

const tvixEval = (tree: string, args: string[]) => run(NODE, [TVIX, "eval", ...args], { cwd: tree });

/** What a failed run printed first, for the assertion message. */
const firstLines = (r: Run) => (r.stderr || r.stdout).split("\n").slice(0, 15).join("\n");

const absent = !existsSync(CORPUS);

// The trees and their parts run side by side: modules.sh (a few hundred evaluations) is by far
// the slowest, so it starts first.
describe("nixpkgs acceptance", { concurrency: true, skip: absent && `no nixpkgs corpus at ${CORPUS}` }, () => {
  for (const [name, expected] of Object.entries(TREES)) {
    test(`${name}: lib/tests/modules.sh gives real Nix's pass count`, async (t) => {
      const tree = unpackedNixpkgs(name);
      const r = await run("bash", ["lib/tests/modules.sh"], {
        cwd: tree,
        env: { ...process.env, PATH: `${SHIM_DIR}:${process.env.PATH}`, NIX_PATH: `nixpkgs=${tree}` },
      });
      t.diagnostic(`${r.seconds.toFixed(1)} s`);
      // Without the colours of 2411pre's "TEST FAILED", for a readable assertion message.
      const output = r.stdout.replace(/\x1b\[[0-9;]*m/g, "");
      const summary = /(\d+) Pass\s+(\d+) Fail/.exec(output);
      assert.ok(summary, `no summary in modules.sh's output:\n${output.slice(-2000)}`);
      const failures = output.split("\n").filter((line) => /^error: Expected|TEST FAILED/.test(line));
      assert.deepEqual({ pass: Number(summary[1]), fail: Number(summary[2]) }, expected.modules, failures.join("\n"));
    });

    for (const libTest of ["misc.nix", "systems.nix"]) {
      test(`${name}: lib/tests/${libTest} passes`, async (t) => {
        const tree = unpackedNixpkgs(name);
        const r = await tvixEval(tree, ["--strict", `lib/tests/${libTest}`]);
        t.diagnostic(`${r.seconds.toFixed(1)} s`);
        assert.equal(r.code, 0, firstLines(r));
        assert.equal(r.stdout, "[ ]\n");
      });
    }

    test(`${name}: derivation paths of hello, stdenv, python3, git, coreutils`, async (t) => {
      const tree = unpackedNixpkgs(name);
      // One evaluation for all of them: the package set is instantiated once.
      const drvPaths = Object.keys(expected.drvPaths).map((attr) => `${attr} = p.${attr}.drvPath;`);
      const expr = `let p = import ./. {}; in { ${drvPaths.join(" ")} helloOutPath = p.hello.outPath; }`;
      const r = await tvixEval(tree, ["--strict", "--json", "-E", expr]);
      t.diagnostic(`${r.seconds.toFixed(1)} s`);
      assert.equal(r.code, 0, firstLines(r));
      assert.deepEqual(JSON.parse(r.stdout), { ...expected.drvPaths, helloOutPath: expected.helloOutPath });
    });
  }
});
