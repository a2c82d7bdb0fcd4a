// fetchTree (git, Mercurial, tarball and path inputs, as attributes and as URLs) and
// fetchMercurial against real Nix 2.8, on local git and Mercurial repositories and tarballs
// from a local HTTP server: the same values (`--eval --strict`), and the same error reports.
// Needs `hg` (Debian's mercurial package): without it these tests fail.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EvalError } from "../../src/eval/errors.ts";
import { formatEvalError } from "../../src/eval/error-report.ts";
import { printValue } from "../../src/eval/print/value.ts";
import { forceDeep } from "../../src/eval/runtime/deep-force.ts";
import { EvalState } from "../../src/eval/state.ts";
import { createGlue } from "../../src/glue/glue.ts";
import { startServer } from "../support/static-server.ts";

const dir = mkdtempSync(join(tmpdir(), "tvix-fetch-tree-"));
/** Differs per run, so that neither Nix's caches nor ours can answer from an earlier run. */
const salt = `${process.pid}-${Date.now()}`;
let server: ChildProcess;
let served = "";

function run(program: string, args: string[], cwd: string, date: string): string {
  const env = {
    ...process.env,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@t",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@t",
    HGUSER: "t <t@t>",
    HGPLAIN: "",
  };
  return execFileSync(program, args, { cwd, env, encoding: "utf8" });
}

function setUpFiles(): void {
  // A git repository with two commits on main and one on a branch, and a dirty clone.
  const repo = join(dir, "repo");
  mkdirSync(join(repo, "d"), { recursive: true });
  run("git", ["init", "-q", "-b", "main"], repo, "2020-01-01T00:00:00Z");
  writeFileSync(join(repo, "a"), `a ${salt}\n`);
  writeFileSync(join(repo, "d/b"), "b\n");
  run("git", ["add", "."], repo, "2020-01-01T00:00:00Z");
  run("git", ["commit", "-qm", "one"], repo, "2020-01-01T00:00:00Z");
  run("git", ["checkout", "-qb", "feature"], repo, "2020-01-01T00:00:00Z");
  writeFileSync(join(repo, "f"), "feature\n");
  run("git", ["add", "f"], repo, "2020-06-01T12:00:00Z");
  run("git", ["commit", "-qm", "feature"], repo, "2020-06-01T12:00:00Z");
  run("git", ["checkout", "-q", "main"], repo, "2020-01-01T00:00:00Z");
  writeFileSync(join(repo, "c"), "c\n");
  run("git", ["add", "c"], repo, "2021-02-03T04:05:06Z");
  run("git", ["commit", "-qm", "two"], repo, "2021-02-03T04:05:06Z");
  execFileSync("git", ["clone", "-q", repo, join(dir, "dirty")]);
  writeFileSync(join(dir, "dirty/a"), "changed\n");
  // A Mercurial repository: two commits on default, one on a branch, a tag; and a dirty copy.
  const hg = join(dir, "hgrepo");
  mkdirSync(join(hg, "d"), { recursive: true });
  run("hg", ["init", "-q"], hg, "");
  writeFileSync(join(hg, "a"), `a ${salt}\n`);
  writeFileSync(join(hg, "d/b"), "b\n");
  run("hg", ["add", "-q", "a", "d/b"], hg, "");
  run("hg", ["commit", "-q", "-m", "one", "-d", "2020-01-01 00:00 +0000"], hg, "");
  run("hg", ["branch", "-q", "feature"], hg, "");
  writeFileSync(join(hg, "f"), "feature\n");
  run("hg", ["add", "-q", "f"], hg, "");
  run("hg", ["commit", "-q", "-m", "feature", "-d", "2020-02-01 00:00 +0000"], hg, "");
  run("hg", ["update", "-q", "default"], hg, "");
  writeFileSync(join(hg, "c"), "c\n");
  run("hg", ["add", "-q", "c"], hg, "");
  run("hg", ["commit", "-q", "-m", "two", "-d", "2020-03-01 00:00 +0000"], hg, "");
  run("hg", ["tag", "-q", "-d", "2020-03-02 00:00 +0000", "v1"], hg, "");
  execFileSync("cp", ["-r", hg, join(dir, "hgdirty")]);
  writeFileSync(join(dir, "hgdirty/a"), "changed\n");
  writeFileSync(join(dir, "hgdirty/untracked"), "u\n");
  // A local tree, and a tarball of it to serve.
  mkdirSync(join(dir, "tree/sub"), { recursive: true });
  writeFileSync(join(dir, "tree/sub/x"), `x ${salt}\n`);
  mkdirSync(join(dir, "www"));
  execFileSync("tar", ["-c", "-z", "-f", join(dir, "www/t.tar.gz"), "-C", dir, "tree"]);
}

function cases(): [string, string][] {
  const firstHg = run("hg", ["log", "-R", join(dir, "hgrepo"), "-r", "0", "--template", "{node}"], dir, "");
  const firstGit = run("git", ["-C", join(dir, "repo"), "rev-parse", "main~1"], dir, "").trim();
  return [
    ["git", `builtins.fetchTree { type = "git"; url = ./repo; }`],
    ["gitRef", `builtins.fetchTree { type = "git"; url = "${dir}/repo"; ref = "feature"; }`],
    ["gitRev", `builtins.fetchTree { type = "git"; url = ./repo; rev = "${firstGit}"; }`],
    ["gitShallow", `builtins.fetchTree { type = "git"; url = ./repo; ref = "main"; shallow = true; }`],
    ["gitUrl", `builtins.fetchTree "git+file://${dir}/repo?ref=feature&shallow=1"`],
    ["gitDirty", `builtins.fetchTree { type = "git"; url = ./dirty; }`],
    ["gitPromises", `builtins.fetchTree { type = "git"; url = ./repo; ref = "main"; revCount = 2; lastModified = 1612325106; }`],
    ["tarball", `builtins.fetchTree { type = "tarball"; url = "${served}/t.tar.gz"; }`],
    ["tarballUrl", `builtins.fetchTree "${served}/t.tar.gz"`],
    ["path", `builtins.fetchTree { type = "path"; path = ./tree; }`],
    ["pathFakeRev", `builtins.fetchTree { type = "path"; path = "${dir}/tree"; rev = "${firstGit}"; revCount = 7; }`],
    ["pathUrl", `builtins.fetchTree "path://${dir}/tree?rev=${firstGit}"`],
    ["hgTree", `builtins.fetchTree { type = "hg"; url = "${dir}/hgrepo"; }`],
    ["hgTreeUrl", `builtins.fetchTree "hg+file://${dir}/hgrepo?ref=feature"`],
    ["hgTreeDirty", `builtins.fetchTree { type = "hg"; url = ./hgdirty; }`],
    ["hg", `builtins.fetchMercurial ./hgrepo`],
    ["hgString", `builtins.fetchMercurial "${dir}/hgrepo"`],
    ["hgRev", `builtins.fetchMercurial { url = ./hgrepo; rev = "${firstHg.toUpperCase()}"; }`],
    ["hgBranch", `builtins.fetchMercurial { url = "file://${dir}/hgrepo"; rev = "feature"; name = "feat"; }`],
    ["hgTag", `builtins.fetchMercurial { url = ./hgrepo; rev = "v1"; }`],
    ["hgDirty", `builtins.fetchMercurial ./hgdirty`],
  ];
}

function errorCases(): [string, string][] {
  return [
    ["relativePath", `builtins.fetchTree { type = "path"; path = "tree"; }`],
    ["missingType", `builtins.fetchTree { url = ./repo; }`],
    ["unknownType", `builtins.fetchTree { type = "file"; url = "${served}/t.tar.gz"; }`],
    ["nameNotAllowed", `builtins.fetchTree { type = "git"; url = ./repo; name = "x"; }`],
    ["badAttrType", `builtins.fetchTree { type = "git"; url = ./repo; ref = 1.5; }`],
    ["unsupportedGitAttr", `builtins.fetchTree { type = "git"; url = ./repo; colour = 1; }`],
    ["unsupportedTarballAttr", `builtins.fetchTree { type = "tarball"; url = "${served}/t.tar.gz"; rev = "x"; }`],
    ["narHashMismatch", `builtins.fetchTree { type = "git"; url = ./repo; narHash = "sha256-${"A".repeat(43)}="; }`],
    ["revCountMismatch", `builtins.fetchTree { type = "git"; url = ./repo; ref = "main"; revCount = 7; }`],
    ["lastModifiedMismatch", `builtins.fetchGit { url = ./repo; lastModified = 3; }`],
    ["notAUrl", `builtins.fetchTree "nixpkgs"`],
    ["unsupportedUrl", `builtins.fetchTree "${dir}/tree"`],
    ["pathUrlBadParam", `builtins.fetchTree "path://${dir}/tree?colour=red"`],
    ["notCoercible", `builtins.fetchTree 1`],
    ["hgUnsupportedArg", `builtins.fetchMercurial { url = ./hgrepo; colour = "red"; }`],
    ["hgUrlRequired", `builtins.fetchMercurial { rev = "default"; }`],
    ["hgBadBranch", `builtins.fetchMercurial { url = ./hgrepo; rev = "a b"; }`],
    ["hgUnknownBranch", `builtins.fetchMercurial { url = ./hgrepo; rev = "nosuchbranch"; }`],
    ["hgNotARepo", `builtins.fetchMercurial ./tree`],
  ];
}

const nixEnv = (): NodeJS.ProcessEnv => ({ ...process.env, XDG_CACHE_HOME: join(dir, "nix-cache"), NIX_PATH: "" });

function nixEval(expr: string, features: string[]): { stdout: string; stderr: string; status: number | null } {
  const args = ["--eval", "--strict", "--read-write-mode", ...features.flatMap((f) => ["--extra-experimental-features", f]), "-E", expr];
  const result = spawnSync("nix-instantiate", args, { cwd: dir, env: nixEnv(), encoding: "latin1", timeout: 120_000, killSignal: "SIGKILL" });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/** Our value, or our error report. */
function ourEval(expr: string, features: string[]): { stdout: string; stderr: string } {
  const glue = createGlue({ cacheDir: join(dir, "tvix-cache"), experimentalFeatures: features, warn: () => {} });
  const state = new EvalState({ io: glue.io, extraBuiltins: glue.builtins });
  try {
    const value = state.evalText(expr, dir);
    forceDeep(value);
    return { stdout: `${printValue(value)}\n`, stderr: "" };
  } catch (err) {
    if (!(err instanceof EvalError)) throw err;
    return { stdout: "", stderr: formatEvalError(err, false) };
  }
}

/** Nix's report without the warnings and what hg itself printed before it. */
function errorReport(stderr: string): string {
  return stderr.slice(stderr.indexOf("error:"));
}

describe("fetchTree and fetchMercurial against Nix 2.8", () => {
  before(async () => {
    setUpFiles();
    const started = await startServer(join(dir, "www"));
    server = started.child;
    served = `http://127.0.0.1:${started.port}`;
  });
  after(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it("needs the flakes feature, failing as Nix does without it", () => {
    const expr = `builtins.fetchTree { type = "git"; url = ./repo; }`;
    const nix = nixEval(expr, []);
    assert.equal(nix.stderr, "error: experimental Nix feature 'flakes' is disabled; use '--extra-experimental-features flakes' to override\n");
    assert.equal(ourEval(expr, []).stderr, nix.stderr);
  });

  it("gives Nix's attributes and store paths", () => {
    const all = cases();
    const attrset = `{ ${all.map(([name, expr]) => `${name} = ${expr};`).join(" ")} }`;
    const nix = nixEval(attrset, ["flakes"]);
    assert.equal(nix.status, 0, nix.stderr);
    const ours = ourEval(attrset, ["flakes"]);
    if (ours.stdout !== nix.stdout) {
      for (const [name, expr] of all) assert.equal(ourEval(expr, ["flakes"]).stdout, nixEval(expr, ["flakes"]).stdout, `case ${name}`);
    }
    assert.equal(ours.stdout, nix.stdout);
    assert.match(ours.stdout, /hgBranch = \{ branch = "feature"; outPath = "\/nix\/store\/[a-z0-9]{32}-feat"; rev = "[0-9a-f]{40}"; revCount = 1; shortRev = "[0-9a-f]{12}"; \}/);
  });

  it("fails as Nix fails", () => {
    for (const [name, expr] of errorCases()) {
      const nix = nixEval(expr, ["flakes"]);
      assert.notEqual(nix.status, 0, `${name}: Nix succeeded`);
      assert.equal(ourEval(expr, ["flakes"]).stderr, errorReport(nix.stderr), name);
    }
  });
});
