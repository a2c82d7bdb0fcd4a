// `tvix build` as a user runs it: real evaluation, the embedded local store, the runc builder
// (no flags), busybox derivations of the test world (examples/). Each test has its own store
// and working directory, so every build happens.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";

const EXAMPLES = fileURLToPath(new URL("../examples", import.meta.url));
const TVIX = fileURLToPath(new URL("../bin/tvix.js", import.meta.url));
const LIB = `${EXAMPLES}/lib.nix`;

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

interface World {
  dir: string;
  store: string;
  /** Runs `tvix build ARGS` in `dir` with the world's store; the result and its output. */
  build(args: string[], env?: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string; ms: number }>;
}

function world(): World {
  const dir = mkdtempSync(join(tmpdir(), "tvix-build-cli-"));
  roots.push(dir);
  const store = join(dir, "store");
  return {
    dir,
    store,
    build: (args, env = {}) =>
      new Promise((resolve, reject) => {
        const start = performance.now();
        const child = spawn(process.execPath, [TVIX, "build", ...args], { cwd: dir, env: { ...process.env, TVIX_STORE: `local://${store}`, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), 80_000);
        child.on("error", reject);
        child.on("close", (status) => {
          clearTimeout(timer);
          resolve({ status: status ?? -1, stdout, stderr, ms: performance.now() - start });
        });
      }),
  };
}

/** A Nix file of derivations run by busybox's sh (examples/lib.nix); `attrs` is the body of the set. */
function nixFile(w: World, attrs: string): string {
  const file = join(w.dir, "default.nix");
  writeFileSync(file, `with import ${LIB}; ${attrs}`);
  return file;
}

describe("tvix build", () => {
  test("hello: ./result points at a real file with the output, the output path is printed; a second run builds nothing", async () => {
    const w = world();
    const first = await w.build([EXAMPLES, "-A", "hello"]);
    assert.equal(first.status, 0, first.stderr);
    const [outPath] = first.stdout.split("\n");
    assert.match(outPath, /^\/nix\/store\/[0-9a-z]{32}-hello$/);
    assert.equal(first.stdout, `${outPath}\n`);
    assert.match(first.stderr, /^building '\/nix\/store\/[0-9a-z]{32}-hello\.drv'\.\.\.$/m);
    const link = join(w.dir, "result");
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readlinkSync(link), join(w.store, "realised", outPath.slice("/nix/store/".length)));
    assert.equal(readFileSync(link, "utf8"), "Hello, world!\n");
    assert.equal(statSync(link).mode & 0o777, 0o444, "read-only, as in a Nix store");

    const second = await w.build([EXAMPLES, "-A", "hello"]);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, first.stdout);
    assert.doesNotMatch(second.stderr, /building/);
  });

  test("several outputs and derivations: result, result-dev, result-2 (as nix-build); -o names them; --no-out-link makes none", async () => {
    const w = world();
    const r = await w.build([EXAMPLES, "-A", "multi", "-A", "multi.dev", "-A", "chain"]);
    assert.equal(r.status, 0, r.stderr);
    const printed = r.stdout.trim().split("\n");
    assert.equal(printed.length, 3);
    assert.match(printed[0], /-multi$/);
    assert.match(printed[1], /-multi-dev$/);
    assert.match(printed[2], /-chain-c$/);
    assert.equal(readFileSync(join(w.dir, "result/bin/multi"), "utf8"), "#!/bin/sh\necho multi\n");
    assert.ok(statSync(join(w.dir, "result/bin/multi")).mode & 0o100, "executable");
    assert.equal(readFileSync(join(w.dir, "result-dev/include/multi.h"), "utf8"), `#define MULTI "${printed[0]}/bin/multi"\n`);
    assert.equal(readlinkSync(join(w.dir, "result-dev/include/link.h")), "../include/multi.h");
    const chain = readFileSync(join(w.dir, "result-2"), "utf8").split("\n");
    assert.deepEqual(chain.slice(0, 3), ["a", "b", "c"]);

    const named = await w.build([EXAMPLES, "-A", "multi.doc", "-o", "docs"]);
    assert.equal(named.status, 0, named.stderr);
    assert.equal(readFileSync(join(w.dir, "docs-doc/README"), "utf8"), "multi: several outputs\n");

    const none = await w.build([EXAMPLES, "-A", "diamond", "--no-out-link"]);
    assert.equal(none.status, 0, none.stderr);
    assert.match(none.stdout, /^\/nix\/store\/[0-9a-z]{32}-diamond-d\n$/);
    assert.throws(() => lstatSync(join(w.dir, "result-3")));
    // The diamond's bottom was built once, and both sides saw it.
    assert.equal((none.stderr.match(/diamond-a\.drv/g) ?? []).length, 1);
  });

  test("an existing link is replaced", async () => {
    const w = world();
    writeFileSync(join(w.dir, "result"), "old");
    const r = await w.build([EXAMPLES, "-A", "hello"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(w.dir, "result"), "utf8"), "Hello, world!\n");
  });

  test("-j: independent builds run at once up to the limit", async () => {
    const w = world();
    const file = nixFile(w, `{ ${["p", "q", "r"].map((n) => `${n} = run "${n}" "echo start-${n}; sleep 1; echo end-${n}; echo ${n} > $out";`).join(" ")} }`);
    const parallel = await w.build([file, "-j", "3", "--no-out-link"]);
    assert.equal(parallel.status, 0, parallel.stderr);
    // All three started before any ended.
    const firstEnd = parallel.stderr.indexOf("end-");
    assert.equal((parallel.stderr.slice(0, firstEnd).match(/^building /gm) ?? []).length, 3, parallel.stderr);

    const w2 = world();
    const serial = await w2.build([nixFile(w2, readFileSync(file, "utf8").slice(`with import ${LIB}; `.length)), "-j", "1", "--no-out-link"]);
    assert.equal(serial.status, 0, serial.stderr);
    // One at a time: each build's end comes before the next one's start.
    const events = serial.stderr.match(/^(building|end-).*$/gm)!.map((line) => line.split(" ")[0].replace(/-.*/, ""));
    assert.deepEqual(events, ["building", "end", "building", "end", "building", "end"]);
  });

  test("a failed build: its log, Nix's messages for it and what depends on it, exit code 100", async () => {
    const w = world();
    const file = nixFile(w, `let broken = (import ${EXAMPLES} {}).broken; in { above = run "above" "echo \${broken} > $out"; }`);
    const r = await w.build([file]);
    assert.equal(r.status, 100, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^about to fail$/m);
    assert.match(r.stderr, /^error: builder for '\/nix\/store\/[0-9a-z]{32}-broken\.drv' failed with exit code 3$/m);
    assert.match(r.stderr, /^error: 1 dependencies of derivation '\/nix\/store\/[0-9a-z]{32}-above\.drv' failed to build$/m);
    assert.throws(() => lstatSync(join(w.dir, "result")));
  });

  test("-Q: the log is not shown, the failure shows its last lines", async () => {
    const w = world();
    const file = nixFile(w, `run "noisy" "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line $i; done; exit 2"`);
    const r = await w.build([file, "-Q"]);
    assert.equal(r.status, 100);
    const drv = /'(\/nix\/store\/[0-9a-z]{32}-noisy\.drv)'/.exec(r.stderr)![1];
    const tail = Array.from({ length: 10 }, (_, i) => `       > line ${i + 3}`).join("\n");
    assert.ok(r.stderr.includes(`error: builder for '${drv}' failed with exit code 2;\n       last 10 log lines:\n${tail}\n`), r.stderr);
    assert.doesNotMatch(r.stderr, /^line 1$/m);
  });

  test("without --keep-going the build stops at a failure; with it everything not depending on the failure is built", async () => {
    const body = `{ a = run "fails" "sleep 0.2; exit 1"; b = run "later" "echo later > $out"; }`;
    const w = world();
    const stopped = await w.build([nixFile(w, body), "-j", "1", "--no-out-link"]);
    assert.equal(stopped.status, 100);
    assert.doesNotMatch(stopped.stderr, /building .*later\.drv/);
    assert.match(stopped.stderr, /^error: build of '.*-fails\.drv', '.*-later\.drv' failed$/m);

    const w2 = world();
    const going = await w2.build([nixFile(w2, body), "-j", "1", "--keep-going", "--no-out-link"]);
    assert.equal(going.status, 100);
    assert.match(going.stderr, /^building '.*-later\.drv'\.\.\.$/m);
    // `later` is in the store now: a run of it alone builds nothing.
    const again = await w2.build([join(w2.dir, "default.nix"), "-A", "b"]);
    assert.equal(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /building/);
    assert.equal(readFileSync(join(w2.dir, "result"), "utf8"), "later\n");
  });

  test("exit codes: 102 for a fixed-output hash mismatch (both hashes shown, nothing stored), 101 for a timeout, 1 for an evaluation error", async () => {
    const w = world();
    const file = nixFile(
      w,
      `{ fod = run "fod" { outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = "0000000000000000000000000000000000000000000000000000000000000000"; script = "echo x > $out"; };
         slow = run "slow" "sleep 30; echo > $out"; }`,
    );
    const mismatch = await w.build([file, "-A", "fod"]);
    assert.equal(mismatch.status, 102, mismatch.stderr);
    assert.match(mismatch.stderr, /error: hash mismatch in fixed-output derivation '.*-fod\.drv':\n\s+specified: sha256-AAAA.*\n\s+got:\s+sha256-/);
    const again = await w.build([file, "-A", "fod", "--dry-run"]);
    assert.match(again.stderr, /this derivation will be built:\n  \/nix\/store\/[0-9a-z]{32}-fod\.drv\n/, "nothing was stored");

    const timeout = await w.build([file, "-A", "slow", "--timeout", "1"]);
    assert.equal(timeout.status, 101, timeout.stderr);
    assert.match(timeout.stderr, /^error: building of '.*-slow\.drv' timed out after 1 seconds$/m);
    assert.ok(timeout.ms < 20_000, "the build was killed");

    const evalError = await w.build(["-E", `throw "no derivation here"`]);
    assert.equal(evalError.status, 1);
    assert.equal(evalError.stderr, "error: no derivation here\n");
  });

  test("--dry-run: what would be built, inputs first, as nix-build says it; nothing built, nothing linked", async () => {
    const w = world();
    const r = await w.build([EXAMPLES, "-A", "diamond", "--dry-run"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines[0], "these 4 derivations will be built:");
    const names = lines.slice(1).map((l) => /^ {2}\/nix\/store\/[0-9a-z]{32}-(.*)\.drv$/.exec(l)![1]);
    assert.equal(names[0], "diamond-a");
    assert.equal(names[3], "diamond-d");
    assert.deepEqual(names.slice(1, 3).sort(), ["diamond-b", "diamond-c"]);
    assert.throws(() => lstatSync(join(w.dir, "result")));

    await w.build([EXAMPLES, "-A", "diamond", "--no-out-link"]);
    const after = await w.build([EXAMPLES, "-A", "diamond", "--dry-run"]);
    assert.equal(after.stderr, "");
  });

  test("bad usage is refused before anything happens", async () => {
    const w = world();
    for (const [args, message] of [
      [["-j", "x"], "error: flag '-j' requires a non-negative integer, not 'x'"],
      [["-j", "0"], "error: '--max-jobs 0' would build nothing here"],
      [["--frobnicate"], "error: unrecognised flag '--frobnicate'"],
      [[EXAMPLES, "-A", "hello", "--builder", "foo://"], "error: unknown builder URL scheme 'foo'"],
    ] as const) {
      const r = await w.build([...args]);
      assert.equal(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.ok(r.stderr.startsWith(message), r.stderr);
    }
    assert.throws(() => lstatSync(join(w.store, "realised")));
  });

  test("a derivation that cannot be built here (content-addressed) is a plain error, exit code 1", async () => {
    const w = world();
    const r = await w.build([
      "--extra-experimental-features",
      "ca-derivations",
      "-E",
      `derivation { name = "floating"; system = builtins.currentSystem; builder = "/bin/sh"; __contentAddressed = true; outputHashMode = "recursive"; outputHashAlgo = "sha256"; }`,
    ]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^error: cannot build '\/nix\/store\/[0-9a-z]{32}-floating\.drv': its output 'out' is floating/m);
    assert.doesNotMatch(r.stderr, /internal error/);
  });

  test("the realised output is the store's contents: its NAR (nix-store --dump) is the one the store serves", async () => {
    const w = world();
    const r = await w.build([EXAMPLES, "-A", "passAsFile"]);
    assert.equal(r.status, 0, r.stderr);
    const real = realpathSync(join(w.dir, "result"));
    assert.ok(real.startsWith(join(w.store, "realised")));
    assert.equal(readFileSync(join(real, "text"), "utf8"), "passed as a file\nwith two lines\n");
    assert.equal(readFileSync(join(real, "variable"), "utf8"), "text is unset\n");
    assert.equal(statSync(real).mode & 0o777, 0o555);
    const fromDisk = execFileSync("nix-store", ["--dump", real], { maxBuffer: 1 << 26 });
    const fromStore = execFileSync(process.execPath, [TVIX, "store", "dump", r.stdout.trim()], { env: { ...process.env, TVIX_STORE: `local://${w.store}` }, maxBuffer: 1 << 26 });
    assert.ok(fromDisk.equals(fromStore));
  });
});
