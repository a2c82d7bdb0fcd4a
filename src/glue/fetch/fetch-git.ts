// builtins.fetchGit, as Nix 2.8's git fetcher: a commit of a git repository (`url`, and
// `ref`/`rev` to choose it) exported with `git archive` (or checked out with its submodules)
// into the store, with `rev`, `shortRev`, `revCount`, `lastModified(Date)`, `narHash` and
// `submodules`. A local working tree without ref or rev is taken as it is when it has
// uncommitted changes (its tracked files; rev then is all zeros). Other repositories are
// fetched into a bare clone in the cache, as Nix does in ~/.cache/nix/gitv3.
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, statSync } from "node:fs";
import { builtin, type Builtin } from "../../eval/builtins/registry.ts";
import { EvalError, NixTypeError } from "../../eval/errors.ts";
import { coerceToString } from "../../eval/runtime/coerce.ts";
import type { EvalState } from "../../eval/state.ts";
import { NixAttrs } from "../../eval/value/attrs.ts";
import { NixPath } from "../../eval/value/path.ts";
import { ContextString, stringText } from "../../eval/value/string.ts";
import { force } from "../../eval/value/thunk.ts";
import { isString, showType, type Value } from "../../eval/value/value.ts";
import { bytesToUtf8, encodeBytes, utf8ToBytes } from "../../nix-compat/byte-string.ts";
import { type Hash, hashBytes, parseHash } from "../../nix-compat/hash.ts";
import { narHash } from "../../nix-compat/nar/writer.ts";
import { makeFixedOutputPath } from "../../nix-compat/store-path.ts";
import { nixCompat } from "../nix-compat-errors.ts";
import type { GlueServices } from "../services.ts";
import { type CacheEntry, FetchCache } from "./fetch-cache.ts";

type InputValue = string | boolean | number;

/** The attributes a git input may have (Nix's GitInputScheme::inputFromAttrs). */
const GIT_ATTRIBUTES = new Set(["url", "ref", "rev", "shallow", "submodules", "lastModified", "revCount", "narHash", "allRefs", "name"]);

/** Nix's badGitRefRegex: what a branch or tag name must not look like. */
const BAD_GIT_REF = /\/\/|^[./]|\/\.|\.\.|[\x00-\x20\x7f:?^~[]|\\|\*|\.lock$|\.lock\/|@\{|[/.]$|^@$|^$/;

const ANSI_BOLD = "\x1b[1m";
const ANSI_NORMAL = "\x1b[0m";

/** Nix's tarball-ttl: how long a fetched branch tip of a remote repository is used without asking again. */
const REF_TTL_SECONDS = 3600;

interface GitInput {
  url: string;
  name: string;
  ref?: string;
  rev?: string;
  shallow: boolean;
  submodules: boolean;
  allRefs: boolean;
  narHash?: Hash;
}

/** What a fetch found out, besides the store path. */
interface GitResult {
  storePath: string;
  narHash: Hash;
  rev?: string;
  revCount?: number;
  lastModified: number;
}

/** Nix's fixURIForGit: scp-like `user@host:path` means ssh, a bare path means file://. */
function fixGitUrl(url: string): string {
  const scp = /^([^/]*)@(.*):(.*)$/.exec(url);
  if (url[0] !== "/" && scp) return `ssh://${scp[1]}@${scp[2]}/${scp[3]}`;
  return url.includes("://") ? url : `file://${url}`;
}

function parseInput(state: EvalState, arg: Value): GitInput {
  const v = force(arg);
  const attrs = new Map<string, InputValue>();
  if (v instanceof NixAttrs) {
    if (v.has("type")) throw new EvalError("unexpected attribute 'type'");
    v.names.forEach((key, i) => {
      const value = force(v.values[i]);
      if (value instanceof NixPath || isString(value)) {
        const s = stringText(coerceToString(state, value, { coerceMore: false, copyToStore: false }));
        attrs.set(key, key === "url" ? fixGitUrl(s) : s);
      } else if (typeof value === "boolean") attrs.set(key, value);
      else if (typeof value === "number") attrs.set(key, value);
      else throw new NixTypeError(`fetchTree argument '${key}' is ${showType(value)} while a string, Boolean or integer is expected`);
    });
  } else {
    attrs.set("url", fixGitUrl(stringText(coerceToString(state, v, { coerceMore: false, copyToStore: false }))));
  }
  for (const key of attrs.keys()) if (!GIT_ATTRIBUTES.has(key)) throw new EvalError(`unsupported Git input attribute '${key}'`);
  const str = (key: string): string | undefined => {
    const value = attrs.get(key);
    if (value !== undefined && typeof value !== "string") throw new EvalError(`'${key}' attribute of input is not a string`);
    return value;
  };
  const bool = (key: string): boolean => {
    const value = attrs.get(key);
    if (value !== undefined && typeof value !== "boolean") throw new EvalError(`'${key}' attribute of input is not a Boolean`);
    return value ?? false;
  };
  const url = str("url");
  if (url === undefined) throw new EvalError("attribute 'url' is missing in call to 'fetchGit'");
  const ref = str("ref");
  if (ref !== undefined && BAD_GIT_REF.test(ref)) throw new EvalError(`invalid Git branch/tag name '${ref}'`);
  const revText = str("rev");
  const rev = revText === undefined ? undefined : nixCompat(() => parseHash(revText, revText.includes(":") || revText.includes("-") ? undefined : "sha1")).encode("base16");
  const narHashText = str("narHash");
  const expectedNarHash = narHashText === undefined ? undefined : nixCompat(() => parseHash(narHashText));
  return { url, name: str("name") ?? "source", ref, rev, shallow: bool("shallow"), submodules: bool("submodules"), allRefs: bool("allRefs"), narHash: expectedNarHash };
}

/** Runs git and returns its output (stderr goes to ours, as with Nix's runProgram). */
function git(args: string[]): string {
  const result = spawnSync("git", args.map(bytesToUtf8), { encoding: "latin1", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 30 });
  if (result.error) throw new EvalError(`executing 'git': ${result.error.message}`);
  if (result.status !== 0) throw new EvalError(`program 'git' failed with exit code ${result.status}`);
  return result.stdout;
}

/** `file:///path` → its path; other URLs are not local. */
function fileUrlPath(url: string): string | undefined {
  return url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : undefined;
}

class GitFetcher {
  private readonly services: GlueServices;
  private readonly cache: FetchCache;
  private readonly input: GitInput;
  private readonly cacheType: string;

  constructor(services: GlueServices, input: GitInput) {
    this.services = services;
    this.cache = new FetchCache(services.cacheDir);
    this.input = input;
    this.cacheType = `git${input.shallow ? "-shallow" : ""}${input.submodules ? "-submodules" : ""}${input.allRefs ? "-all-refs" : ""}`;
  }

  private lockedKey(rev: string): Record<string, string> {
    return { type: this.cacheType, name: this.input.name, rev };
  }

  fetch(): GitResult {
    const input = this.input;
    if (input.rev !== undefined) {
      const hit = this.cache.lookup(this.lockedKey(input.rev));
      if (hit) return this.fromCache(hit);
    }
    const path = fileUrlPath(input.url);
    // A bare repository, even a local one, is fetched like a remote one.
    const isLocal = path !== undefined && existsSync(encodeBytes(`${path}/.git`));
    if (isLocal && input.ref === undefined && input.rev === undefined) {
      const dirty = this.fetchDirtyWorkingTree(path);
      if (dirty) return dirty;
    }
    const ref = input.ref ?? (isLocal ? git(["-C", path as string, "rev-parse", "--abbrev-ref", "HEAD"]).trim() : "master");
    let repoDir: string;
    let rev = input.rev;
    if (isLocal) {
      repoDir = path as string;
      rev ??= git(["-C", repoDir, "rev-parse", ref]).trim();
    } else {
      repoDir = this.updateClone(ref);
      rev ??= git(["-C", repoDir, "rev-parse", ref.startsWith("refs/") ? ref : `refs/heads/${ref}`]).trim();
    }
    if (!input.shallow && git(["-C", repoDir, "rev-parse", "--is-shallow-repository"]).trim() === "true") {
      throw new EvalError(`'${isLocal ? repoDir : input.url}' is a shallow Git repository, but a non-shallow repository is needed`);
    }
    const hit = this.cache.lookup(this.lockedKey(rev));
    if (hit) return this.fromCache(hit);
    return this.export(repoDir, rev, ref, isLocal ? repoDir : input.url);
  }

  private fromCache(entry: CacheEntry): GitResult {
    const info = entry.info;
    const hash = nixCompat(() => parseHash(info.hash as string));
    const storePath = this.services.store.addHashed(this.input.name, `${utf8ToBytes(entry.dir)}/tree`, "recursive", hash);
    return { storePath, narHash: hash, rev: info.rev as string, revCount: info.revCount as number | undefined, lastModified: info.lastModified as number };
  }

  /** A local working tree with changes: its tracked files as they are; undefined when it is clean. */
  private fetchDirtyWorkingTree(repo: string): GitResult | undefined {
    const head = spawnSync("git", ["-C", bytesToUtf8(repo), "--git-dir=.git", "rev-parse", "--verify", "--no-revs", "HEAD^{commit}"], {
      encoding: "latin1",
      env: { ...process.env, LC_ALL: "C" },
    });
    const output = `${head.stdout}${head.stderr}`;
    if (output.includes("fatal: not a git repository")) throw new EvalError(`'${repo}' is not a Git repository`);
    const hasHead = head.status === 0;
    if (!hasHead && !output.includes("fatal: Needed a single revision")) {
      throw new EvalError(`getting the HEAD of the Git tree '${repo}' failed with exit code ${head.status}:\n${output}`);
    }
    if (hasHead) {
      const diff = spawnSync("git", ["-C", bytesToUtf8(repo), "diff", "HEAD", "--quiet", ...(this.input.submodules ? [] : ["--ignore-submodules"]), "--"], { stdio: "inherit" });
      if (diff.status === 0) return undefined;
      if (diff.status !== 1) throw new EvalError(`program 'git' failed with exit code ${diff.status}`);
    }
    this.services.warn(`Git tree '${repo}' is dirty`);
    const listed = git(["-C", repo, "ls-files", "-z", ...(this.input.submodules ? ["--recurse-submodules"] : [])]);
    const files = new Set(listed.split("\0").filter((f) => f !== ""));
    const dirs = new Set<string>();
    for (const file of files) for (let i = file.indexOf("/"); i >= 0; i = file.indexOf("/", i + 1)) dirs.add(file.slice(0, i));
    const filter = (path: string): boolean => {
      const file = path.slice(repo.length + 1);
      return lstatSync(encodeBytes(path)).isDirectory() ? dirs.has(file) : files.has(file);
    };
    const { storePath, hash } = this.services.store.addLocal(this.input.name, repo, "recursive", filter);
    const lastModified = hasHead ? Number(git(["-C", repo, "log", "-1", "--format=%ct", "--no-show-signature", "HEAD"]).trim()) : 0;
    return { storePath, narHash: hash, lastModified };
  }

  /** The bare clone of a remote repository in the cache, fetched when it lacks what is asked for. */
  private updateClone(ref: string): string {
    const url = this.input.url;
    const repoDir = `${this.services.cacheDir}/git/${hashBytes("sha256", url).encode("nix32")}`;
    if (!existsSync(repoDir)) {
      mkdirSync(repoDir, { recursive: true });
      git(["-c", "init.defaultBranch=__nix_dummy_branch", "init", "--bare", utf8ToBytes(repoDir)]);
    }
    const localRef = `${repoDir}/${ref.startsWith("refs/") ? ref : `refs/heads/${ref}`}`;
    let doFetch: boolean;
    if (this.input.rev !== undefined) {
      doFetch = spawnSync("git", ["-C", repoDir, "cat-file", "-e", this.input.rev], { stdio: "ignore" }).status !== 0;
    } else if (this.input.allRefs) {
      doFetch = true;
    } else {
      doFetch = !existsSync(localRef) || statSync(localRef).mtimeMs / 1000 + REF_TTL_SECONDS <= Date.now() / 1000;
    }
    if (doFetch) {
      const fetchRef = this.input.allRefs ? "refs/*" : ref.startsWith("refs/") || ref === "HEAD" ? ref : `refs/heads/${ref}`;
      git(["-C", utf8ToBytes(repoDir), "fetch", "--quiet", "--force", "--", url, `${fetchRef}:${fetchRef}`]);
    }
    return utf8ToBytes(repoDir);
  }

  /** Exports commit `rev` of `repoDir` into the cache and the store. */
  private export(repoDir: string, rev: string, ref: string, shownUrl: string): GitResult {
    const check = spawnSync("git", ["-C", bytesToUtf8(repoDir), "cat-file", "commit", rev], { encoding: "latin1" });
    if (check.status === 128 && `${check.stdout}${check.stderr}`.includes("bad file")) {
      throw new EvalError(
        `Cannot find Git revision '${rev}' in ref '${ref}' of repository '${shownUrl}'! Please make sure that the ${ANSI_BOLD}rev${ANSI_NORMAL} exists on the ${ANSI_BOLD}ref${ANSI_NORMAL} you've specified or add ${ANSI_BOLD}allRefs = true;${ANSI_NORMAL} to ${ANSI_BOLD}fetchGit${ANSI_NORMAL}.`,
      );
    }
    const scratch = this.cache.scratch();
    const tree = `${scratch}/tree`;
    let filter: ((path: Buffer) => boolean) | undefined;
    if (this.input.submodules) {
      const gitDir = `${scratch}/git-dir`;
      git(["-c", "init.defaultBranch=__nix_dummy_branch", "init", utf8ToBytes(tree), "--separate-git-dir", utf8ToBytes(gitDir)]);
      git(["-C", utf8ToBytes(tree), "fetch", "--quiet", "--force", "--update-head-ok", "--", repoDir, "refs/*:refs/*"]);
      git(["-C", utf8ToBytes(tree), "checkout", "--quiet", rev]);
      git(["-C", utf8ToBytes(tree), "remote", "add", "origin", this.input.url]);
      git(["-C", utf8ToBytes(tree), "submodule", "--quiet", "update", "--init", "--recursive"]);
      filter = (path) => !path.toString("latin1").endsWith("/.git");
    } else {
      mkdirSync(tree);
      const archive = `${scratch}/archive.tar`;
      git(["-C", repoDir, "archive", "--format=tar", "-o", utf8ToBytes(archive), rev]);
      const untar = spawnSync("tar", ["-x", "--no-same-owner", "-f", archive, "-C", tree], { encoding: "latin1" });
      if (untar.status !== 0) throw new EvalError(`failed to extract archive (${untar.stderr.trim()})`);
    }
    const hash = nixCompat(() => narHash(tree, "sha256", filter).hash);
    const storePath = nixCompat(() => makeFixedOutputPath(this.input.name, "recursive", hash, { storeDir: this.services.store.storeDir }));
    const lastModified = Number(git(["-C", repoDir, "log", "-1", "--format=%ct", "--no-show-signature", rev]).trim());
    const revCount = this.input.shallow ? undefined : Number(git(["-C", repoDir, "rev-list", "--count", rev]).trim());
    const entry = this.cache.commit(this.lockedKey(rev), scratch, {
      storePath: storePath.toAbsolute(this.services.store.storeDir),
      fetchedAt: Date.now() / 1000,
      locked: true,
      hash: hash.toSri(),
      rev,
      revCount,
      lastModified,
    });
    return this.fromCache(entry);
  }
}

/** `%Y%m%d%H%M%S` of a Unix time, in UTC. */
function formatDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-T:]/g, "").slice(0, 14);
}

export function fetchGitBuiltin(services: GlueServices): Builtin {
  return builtin("fetchGit", 1, (state, arg) => {
    const input = parseInput(state, arg);
    const result = new GitFetcher(services, input).fetch();
    if (input.narHash !== undefined && !input.narHash.equals(result.narHash)) {
      throw new EvalError(`NAR hash mismatch in input '${input.url}' (${result.storePath}), expected '${input.narHash.toSri()}', got '${result.narHash.toSri()}'`);
    }
    const rev = result.rev ?? "0".repeat(40);
    return NixAttrs.of({
      outPath: new ContextString(result.storePath, new Set([result.storePath])),
      narHash: result.narHash.toSri(),
      submodules: input.submodules,
      rev,
      shortRev: rev.slice(0, 7),
      revCount: result.revCount ?? 0,
      lastModified: result.lastModified,
      lastModifiedDate: formatDate(result.lastModified),
    });
  });
}
