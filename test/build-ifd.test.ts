// Import from derivation in `tvix build`: the evaluation (in its worker) reads an output of a
// derivation it instantiated; the build runs meanwhile, the output is rendered on local disk and
// the evaluation goes on from there. Compared with real nix-build in its sandbox.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { NIX_SANDBOX_OPTIONS, NixBuildError, freshNixStore, nixBuild, nixPathInfos } from "./support/nix-build.ts";
import { nix } from "./support/nix.ts";

const TVIX = fileURLToPath(new URL("../bin/tvix.js", import.meta.url));
const LIB = fileURLToPath(new URL("../examples/lib.nix", import.meta.url));

/** A build whose expression imports a .nix file written by a derivation it instantiates. */
const IMPORTED = `let inherit (import ${LIB}) run; v = import (run "gen" "echo '{ x = 42; }' > $out"); in run "use" "echo \${toString v.x} > $out"`;
/** readFile of an output, and readDir and pathExists below one. */
const READ = `let inherit (import ${LIB}) run; d = run "dir" "mkdir -p $out/sub; echo -n hello > $out/sub/greeting";
  in run "read" "echo '\${builtins.readFile "\${d}/sub/greeting"} \${toString (builtins.attrNames (builtins.readDir "\${d}/sub"))} \${builtins.toJSON (builtins.pathExists "\${d}/missing")}' > $out"`;
const FAILING = `let inherit (import ${LIB}) run; v = import (run "gen-fails" "echo oops; exit 3"); in run "use" "echo \${toString v.x} > $out"`;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "tvix-build-ifd-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function tvixBuild(expr: string, link: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [TVIX, "build", "-o", join(dir, link), "-E", expr], { encoding: "utf8", env: { ...process.env, TVIX_STORE: `local://${dir}/store` } });
}

type Run = { status: number | null; stdout: string; stderr: string };

/** `tvix instantiate -E expr` on a fresh store of its own, so that the import's build runs. */
function tvixInstantiate(expr: string, storeName: string): Run {
  const { status, stdout, stderr } = spawnSync(process.execPath, [TVIX, "instantiate", "-E", expr], { encoding: "utf8", env: { ...process.env, TVIX_STORE: `local://${dir}/${storeName}` } });
  return { status, stdout, stderr };
}

/** Real nix-instantiate of `expr`, sandboxed, on a fresh chroot store. */
function nixInstantiate(expr: string): Run {
  const nixStore = freshNixStore();
  try {
    const { status, stdout, stderr } = spawnSync("nix-instantiate", ["--store", nixStore.dir, ...NIX_SANDBOX_OPTIONS, "-E", expr], { encoding: "utf8" });
    return { status, stdout, stderr };
  } finally {
    nixStore.dispose();
  }
}

/** nix-build of `expr` prints the paths tvix printed (`stdout`), and `link`'s output has its NAR hash. */
async function assertSameAsNixBuild(expr: string, stdout: string, link: string): Promise<void> {
  const nixStore = freshNixStore();
  try {
    const nixPaths = await nixBuild(nixStore.dir, ["-E", expr]);
    assert.deepEqual(stdout.trim().split("\n"), nixPaths);
    const [info] = await nixPathInfos(nixStore.dir, nixPaths);
    assert.equal(nix(["hash", "path", "--type", "sha256", realpathSync(join(dir, link))])[0], info.narHash);
  } finally {
    nixStore.dispose();
  }
}

describe("tvix build: import from derivation", () => {
  test("a derivation's output imported as Nix code: same output path and NAR hash as nix-build", async () => {
    const built = tvixBuild(IMPORTED, "imported");
    assert.equal(built.status, 0, built.stderr);
    assert.match(built.stderr, /building '.*-gen\.drv'/);
    assert.equal(readFileSync(join(dir, "imported"), "utf8"), "42\n");
    await assertSameAsNixBuild(IMPORTED, built.stdout, "imported");
  });

  test("readFile, readDir and pathExists of an output: same output path and NAR hash as nix-build", async () => {
    const built = tvixBuild(READ, "read");
    assert.equal(built.status, 0, built.stderr);
    assert.equal(readFileSync(join(dir, "read"), "utf8"), "hello greeting false\n");
    await assertSameAsNixBuild(READ, built.stdout, "read");
  });

  test("a failing build during evaluation: nix-build's messages and exit code", async () => {
    const built = tvixBuild(FAILING, "failing");
    const drv = /building '(\/nix\/store\/[^']*-gen-fails\.drv)'/.exec(built.stderr)?.[1];
    assert.ok(drv, built.stderr);
    const message = `error: builder for '${drv}' failed with exit code 3`;
    assert.equal(built.stderr.split(message).length, 2, `the error once:\n${built.stderr}`);
    assert.doesNotMatch(built.stderr, /-use\.drv/);
    const nixStore = freshNixStore();
    try {
      const failure = await nixBuild(nixStore.dir, ["-E", FAILING]).then(
        () => assert.fail("nix-build succeeded"),
        (err: unknown) => err as NixBuildError,
      );
      assert.ok(failure instanceof NixBuildError);
      assert.ok(failure.stderr.includes(message), failure.stderr);
      // The log, the builder's error once, at the import (Nix: "while realising the context of path").
      assert.equal(built.stderr, failure.stderr);
      assert.equal(built.status, failure.code);
    } finally {
      nixStore.dispose();
    }
  });
});

describe("tvix instantiate: import from derivation", () => {
  test("the imported output is built: the same .drv path, messages and exit code as nix-instantiate", () => {
    const instantiated = tvixInstantiate(IMPORTED, "instantiate-imported");
    assert.equal(instantiated.status, 0, instantiated.stderr);
    assert.match(instantiated.stdout, /^\/nix\/store\/[a-z0-9]{32}-use\.drv\n$/);
    assert.match(instantiated.stderr, /building '.*-gen\.drv'/);
    const real = nixInstantiate(IMPORTED);
    assert.equal(real.status, 0, real.stderr);
    assert.deepEqual(instantiated, real);
  });

  test("a failing build during evaluation: nix-instantiate's messages and exit code", () => {
    const instantiated = tvixInstantiate(FAILING, "instantiate-failing");
    assert.match(instantiated.stderr, /error: builder for '.*-gen-fails\.drv' failed with exit code 3/);
    assert.equal(instantiated.stdout, "");
    const real = nixInstantiate(FAILING);
    assert.equal(real.status, 100, real.stderr);
    assert.deepEqual(instantiated, real);
  });
});
