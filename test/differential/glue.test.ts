// The store-aware builtins against real Nix 2.8: derivations with every kind of attribute,
// toFile, path/filterSource, path interpolation, storePath and the fetchers (a local HTTP
// server and local git repositories) give the same values (`--eval --strict`), the .drv files
// Nix writes are byte for byte the ATerm we would write, and toFile texts are Nix's files.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EvalError } from "../../src/eval/errors.ts";
import { formatEvalError } from "../../src/eval/error-report.ts";
import { printValue } from "../../src/eval/print/value.ts";
import { forceDeep } from "../../src/eval/runtime/deep-force.ts";
import { EvalState } from "../../src/eval/state.ts";
import { createGlue, type Glue } from "../../src/glue/glue.ts";
import { printAterm } from "../../src/nix-compat/derivation/aterm-print.ts";
import { hashBytes } from "../../src/nix-compat/hash.ts";
import { startServer } from "../support/static-server.ts";

const dir = mkdtempSync(join(tmpdir(), "tvix-glue-"));
/** Differs per run, so that neither Nix's caches nor ours can answer from an earlier run. */
const salt = `${process.pid}-${Date.now()}`;
let server: ChildProcess;
let base = "";

function git(args: string[], cwd: string, date: string): void {
  const env = { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
  execFileSync("git", args, { cwd, env, stdio: "ignore" });
}

function setUpFiles(): void {
  mkdirSync(join(dir, "src/sub/deeper"), { recursive: true });
  writeFileSync(join(dir, "src/a.txt"), `a ${salt}\n`);
  writeFileSync(join(dir, "src/skip.log"), "log\n");
  writeFileSync(join(dir, "src/sub/run.sh"), "#!/bin/sh\n");
  chmodSync(join(dir, "src/sub/run.sh"), 0o755);
  writeFileSync(join(dir, "src/sub/deeper/d"), "d\n");
  symlinkSync("a.txt", join(dir, "src/link"));
  writeFileSync(join(dir, "builder.sh"), "echo hi > $out\n");
  // Served files and archives.
  const www = join(dir, "www");
  mkdirSync(join(www, "top/inner"), { recursive: true });
  writeFileSync(join(www, "file.txt"), `served ${salt}\n`);
  writeFileSync(join(www, "top/inner/x"), `x ${salt}\n`);
  writeFileSync(join(www, "top/exe"), "#!/bin/sh\n");
  chmodSync(join(www, "top/exe"), 0o755);
  symlinkSync("inner/x", join(www, "top/link"));
  for (const [ext, flag] of [["tar.gz", "-z"], ["tar.xz", "-J"], ["tar.bz2", "-j"], ["tar.zst", "--zstd"], ["tar", ""]]) {
    execFileSync("tar", ["-c", ...(flag ? [flag] : []), "-f", join(www, `t.${ext}`), "-C", www, "top"]);
  }
  execFileSync("tar", ["-c", "-z", "-f", join(www, "two.tar.gz"), "-C", www, "file.txt", "top"]);
  // A git repository with two commits and a branch, and a dirty clone of it.
  const repo = join(dir, "repo");
  mkdirSync(join(repo, "d"), { recursive: true });
  git(["init", "-q", "-b", "main"], repo, "2020-01-01T00:00:00Z");
  writeFileSync(join(repo, "a"), `a ${salt}\n`);
  writeFileSync(join(repo, "d/b"), "b\n");
  chmodSync(join(repo, "d/b"), 0o755);
  git(["add", "."], repo, "2020-01-01T00:00:00Z");
  git(["commit", "-qm", "one"], repo, "2020-01-01T00:00:00Z");
  git(["checkout", "-qb", "feature"], repo, "2020-01-01T00:00:00Z");
  writeFileSync(join(repo, "f"), "feature\n");
  git(["add", "f"], repo, "2020-06-01T12:00:00Z");
  git(["commit", "-qm", "feature"], repo, "2020-06-01T12:00:00Z");
  git(["checkout", "-q", "main"], repo, "2020-01-01T00:00:00Z");
  writeFileSync(join(repo, "c"), "c\n");
  git(["add", "c"], repo, "2021-02-03T04:05:06Z");
  git(["commit", "-qm", "two"], repo, "2021-02-03T04:05:06Z");
  const dirty = join(dir, "dirty");
  execFileSync("git", ["clone", "-q", repo, dirty]);
  writeFileSync(join(dirty, "a"), "changed\n");
  writeFileSync(join(dirty, "untracked"), "u\n");
}

/** Test cases: name → Nix expression. `d` makes a derivation from extra attributes. */
function cases(): [string, string][] {
  const h = (algo: "md5" | "sha1" | "sha256" | "sha512") => hashBytes(algo, `content ${salt}`);
  const fod = (extra: string) => `d ({ name = "fod"; } // ${extra})`;
  const served = `http://127.0.0.1:${base}`;
  const fileHash = hashBytes("sha256", `served ${salt}\n`);
  const headOfMain = execFileSync("git", ["-C", join(dir, "repo"), "rev-parse", "main~1"], { encoding: "utf8" }).trim();
  return [
    ["simple", `d { }`],
    ["multipleOutputs", `d { outputs = [ "out" "dev" "lib" ]; }`],
    ["outputsOrder", `d { outputs = [ "lib" "out" ]; }`],
    ["outputAttrs", `let x = d { outputs = [ "out" "bin" ]; }; in [ x.bin.outPath x.out.drvPath x.bin.outputName (map (o: o.outputName) x.all) x.drvAttrs ]`],
    ["envKinds", `d { list = [ 1 "two" [ 3 ] [ ] null true false 1.5 ]; t = true; f = false; n = null; i = -42; fl = 0.1; s = "x\\ny\\t\\"q\\" \\\\"; }`],
    ["args", `d { args = [ "-c" "echo" 1 true ./builder.sh ]; }`],
    ["pathsAsSources", `d { src = ./src; sub = ./src/sub/run.sh; str = "\${./src/a.txt}"; }`],
    ["builderPath", `derivation { name = "bp"; system = "x86_64-linux"; builder = ./builder.sh; }`],
    ["chain", `let a = d { name = "a"; }; b = d { name = "b"; inherit a; }; in d { name = "c"; inherit b; aOut = a.out; }`],
    ["multiOutputDeps", `let m = d { name = "m"; outputs = [ "out" "dev" ]; }; in d { name = "user"; dev = m.dev; out2 = "\${m.out}/bin"; }`],
    ["drvPathDep", `let a = d { name = "a"; src = ./src/a.txt; }; b = d { name = "b"; inherit a; }; in d { name = "all-of-b"; p = b.drvPath; }`],
    ["toFileRefs", `let t = builtins.toFile "conf" "hello \${./src/a.txt} \${builtins.toFile "inner" "x"}"; in d { inherit t; }`],
    // Nix writes toFile texts to the store at once, so they can be read and imported.
    ["toFileImport", `[ (import (builtins.toFile "e.nix" "{ x = 1; }")).x (builtins.readFile (builtins.toFile "r" "text")) ]`],
    ["structured", `d { __structuredAttrs = true; list = [ 1 "a" null { x = ./src/a.txt; } ]; n = null; f = 1.5; s = "q\\"\\n"; dep = d { name = "dep"; }; outputs = [ "out" "doc" ]; args = [ "x" ]; }`],
    ["ignoreNulls", `d { __ignoreNulls = true; a = null; b = 1; args = [ null ]; }`],
    ["passAsFile", `d { passAsFile = [ "big" ]; big = "lots"; allowedReferences = [ ]; disallowedRequisites = [ "x" ]; }`],
    ["fodFlatSha256Nix32", fod(`{ outputHash = "${h("sha256").encode("nix32")}"; outputHashAlgo = "sha256"; }`)],
    ["fodFlatSha256Base16", fod(`{ outputHash = "${h("sha256").encode("base16")}"; outputHashAlgo = "sha256"; outputHashMode = "flat"; }`)],
    ["fodFlatSha256Base64", fod(`{ outputHash = "${h("sha256").encode("base64")}"; outputHashAlgo = "sha256"; }`)],
    ["fodSri256", fod(`{ outputHash = "${h("sha256").toSri()}"; }`)],
    ["fodSri512Rec", fod(`{ outputHash = "${h("sha512").toSri()}"; outputHashMode = "recursive"; }`)],
    ["fodPrefixedSha1", fod(`{ outputHash = "${h("sha1").format("nix32")}"; outputHashMode = "recursive"; }`)],
    ["fodMd5", fod(`{ outputHash = "${h("md5").encode("base16")}"; outputHashAlgo = "md5"; }`)],
    ["fodSha512Base16Rec", fod(`{ outputHash = "${h("sha512").encode("base16")}"; outputHashAlgo = "sha512"; outputHashMode = "recursive"; }`)],
    ["fodUnknownAlgoWithSri", fod(`{ outputHash = "${h("sha256").toSri()}"; outputHashAlgo = "whatever"; }`)],
    ["fodDependency", `let f = ${fod(`{ outputHash = "${h("sha256").toSri()}"; }`)}; in d { name = "uses-fod"; inherit f; }`],
    ["placeholder", `[ (builtins.placeholder "out") (d { p = builtins.placeholder "dev"; outputs = [ "out" "dev" ]; }) ]`],
    ["pathBuiltin", `builtins.path { path = ./src; }`],
    ["pathNamed", `builtins.path { path = ./src; name = "renamed"; }`],
    ["pathFiltered", `builtins.path { path = ./src; filter = p: t: t != "symlink" && builtins.match ".*\\\\.log" p == null; }`],
    ["pathFlat", `builtins.path { path = ./src/a.txt; recursive = false; name = "flat"; }`],
    ["pathSha256", `builtins.path { path = ./src/a.txt; recursive = false; sha256 = "${hashBytes("sha256", `a ${salt}\n`).toSri()}"; }`],
    ["filterSource", `builtins.filterSource (p: t: baseNameOf p != "deeper") ./src`],
    ["filterSourceInDrv", `d { src = builtins.filterSource (p: t: t == "directory" || t == "regular") ./src; }`],
    ["interpolation", `[ "\${./src}" "\${./src/a.txt}" (toString ./src) ]`],
    ["storePath", `let p = "\${./src}"; in builtins.storePath p`],
    ["storePathDep", `d { s = builtins.storePath "\${./src/a.txt}"; }`],
    ["storeDir", `builtins.storeDir`],
    ["fetchurl", `builtins.fetchurl "${served}/file.txt"`],
    ["fetchurlHash", `builtins.fetchurl { url = "${served}/file.txt"; sha256 = "${fileHash.encode("nix32")}"; name = "named"; }`],
    ["fetchurlRedirect", `builtins.fetchurl "${served}/redirect"`],
    ["fetchTarballGz", `builtins.fetchTarball "${served}/t.tar.gz"`],
    ["fetchTarballKinds", `map (e: builtins.fetchTarball { url = "${served}/t.\${e}"; name = "t-\${builtins.replaceStrings ["."] ["-"] e}"; }) [ "tar.xz" "tar.bz2" "tar.zst" "tar" ]`],
    ["fetchTarballInDrv", `d { src = builtins.fetchTarball "${served}/t.tar.gz"; }`],
    ["corepkgsFetchurl", `import <nix/fetchurl.nix> { url = "${served}/file.txt"; sha256 = "${fileHash.encode("nix32")}"; }`],
    ["corepkgsFetchurlExe", `import <nix/fetchurl.nix> { url = "${served}/file.txt"; hash = "${h("sha512").toSri()}"; executable = true; name = "exe"; }`],
    ["fetchGit", `builtins.fetchGit ./repo`],
    ["fetchGitRev", `builtins.fetchGit { url = ./repo; rev = "${headOfMain}"; }`],
    ["fetchGitRef", `builtins.fetchGit { url = "${dir}/repo"; ref = "feature"; name = "feat"; }`],
    ["fetchGitRefsHeads", `builtins.fetchGit { url = "file://${dir}/repo"; ref = "refs/heads/main"; }`],
    ["fetchGitBare", `builtins.fetchGit { url = "file://${dir}/repo/.git"; ref = "feature"; }`],
    ["fetchGitDirty", `builtins.fetchGit ./dirty`],
    ["fetchGitInDrv", `d { src = builtins.fetchGit ./repo; }`],
  ];
}

/** Error cases: name → expression; the first line of the error must be Nix's. */
function errorCases(): [string, string][] {
  return [
    ["noName", `derivation { builder = "b"; system = "s"; }`],
    ["noBuilder", `derivation { name = "n"; system = "s"; }`],
    ["noSystem", `derivation { name = "n"; builder = "b"; }`],
    ["drvOutput", `d { outputs = [ "out" "drv" ]; }`],
    ["duplicateOutput", `d { outputs = [ "out" "out" ]; }`],
    ["emptyOutputs", `d { outputs = [ ]; }`],
    ["dotDrvName", `d { name = "x.drv"; }`],
    ["badHashMode", `d { outputHash = "${"0".repeat(52)}"; outputHashMode = "nar"; }`],
    ["fodMultipleOutputs", `d { outputHash = "${"0".repeat(52)}"; outputs = [ "out" "dev" ]; }`],
    ["fodNoAlgo", `d { outputHash = "${"0".repeat(52)}"; outputHashAlgo = ""; }`],
    ["fodBadLength", `d { outputHash = "abc"; outputHashAlgo = "sha256"; }`],
    ["fodWrongType", `d { outputHash = "sha1:${"0".repeat(40)}"; outputHashAlgo = "sha256"; }`],
    ["caDisabled", `d { __contentAddressed = true; }`],
    ["impureDisabled", `d { __impure = true; }`],
    ["badName", `d { name = "a b"; }`],
    ["toFileDrvRef", `builtins.toFile "x" "\${d { }}"`],
    ["pathSha256Mismatch", `builtins.path { path = ./src/sub; sha256 = "${"0".repeat(52)}"; }`],
    ["pathMissing", `builtins.path { path = ./no-such-file; }`],
    ["pathUnsupported", `builtins.path { path = ./src; foo = 1; }`],
    ["pathRequired", `builtins.path { name = "x"; }`],
    ["filterSourceNotFn", `builtins.filterSource 1 ./src`],
    ["storePathOutside", `builtins.storePath ./src`],
    ["fetchurl404", `builtins.fetchurl "http://127.0.0.1:${base}/missing"`],
    ["fetchurlMismatch", `builtins.fetchurl { url = "http://127.0.0.1:${base}/file.txt"; sha256 = "${"0".repeat(52)}"; }`],
    ["fetchurlBadArg", `builtins.fetchurl { url = "x"; foo = 1; }`],
    ["fetchTarballTwoTop", `builtins.fetchTarball "http://127.0.0.1:${base}/two.tar.gz"`],
    ["fetchGitBadRef", `builtins.fetchGit { url = ./repo; ref = "a..b"; }`],
    ["fetchGitUnknownAttr", `builtins.fetchGit { url = ./repo; colour = "red"; }`],
    ["fetchGitNotRepo", `builtins.fetchGit ./src`],
  ];
}

const PRELUDE = `let d = attrs: derivation ({ name = "t"; builder = "/bin/sh"; system = "x86_64-linux"; } // attrs); in`;

const nixEnv = (): NodeJS.ProcessEnv => ({ ...process.env, XDG_CACHE_HOME: join(dir, "nix-cache"), NIX_PATH: "" });

function nixEval(expr: string): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync("nix-instantiate", ["--eval", "--strict", "--read-write-mode", "-E", `${PRELUDE} ${expr}`], { cwd: dir, env: nixEnv(), encoding: "latin1" });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

function newGlue(): Glue {
  return createGlue({ cacheDir: join(dir, "tvix-cache"), warn: () => {} });
}

function ourEval(glue: Glue, expr: string): string {
  const state = new EvalState({ io: glue.io, extraBuiltins: glue.builtins });
  const value = state.evalText(`${PRELUDE} ${expr}`, dir);
  forceDeep(value);
  return `${printValue(value)}\n`;
}

function firstErrorLine(stderr: string): string {
  return stderr.split("\n").find((line) => line.startsWith("error:")) ?? stderr;
}

describe("store-aware builtins against Nix 2.8", () => {
  before(async () => {
    setUpFiles();
    const started = await startServer(join(dir, "www"));
    server = started.child;
    base = String(started.port);
  });
  after(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives Nix's values for derivations, sources and fetches, and writes Nix's .drv files and texts", () => {
    const all = cases();
    const attrset = `{ ${all.map(([name, expr]) => `${name} = ${expr};`).join(" ")} }`;
    const glue = newGlue();
    const ours = ourEval(glue, attrset);
    const nix = nixEval(attrset);
    assert.equal(nix.status, 0, nix.stderr);
    if (ours !== nix.stdout) {
      // Narrow it down to the first differing case.
      for (const [name, expr] of all) assert.equal(ourEval(newGlue(), expr), nixEval(expr).stdout, `case ${name}`);
    }
    assert.equal(ours, nix.stdout);
    // With --read-write-mode Nix has written every derivation and text file we recorded.
    let derivations = 0;
    for (const [path, entry] of glue.store.pending.entries()) {
      if (entry.kind === "derivation") {
        derivations++;
        assert.equal(printAterm(entry.drv).toString("latin1"), readFileSync(Buffer.from(path, "latin1")).toString("latin1"), path);
      } else if (entry.kind === "text") {
        assert.equal(entry.contents, readFileSync(Buffer.from(path, "latin1")).toString("latin1"), path);
      }
    }
    assert.ok(derivations > 30, `only ${derivations} derivations`);
  });

  it("fails as Nix fails", () => {
    for (const [name, expr] of errorCases()) {
      const nix = nixEval(expr);
      assert.notEqual(nix.status, 0, `${name}: Nix succeeded`);
      let ours = "";
      try {
        ourEval(newGlue(), expr);
      } catch (err) {
        if (!(err instanceof EvalError)) throw err;
        ours = formatEvalError(err, false);
      }
      assert.equal(firstErrorLine(ours), firstErrorLine(nix.stderr), name);
    }
  });
});
