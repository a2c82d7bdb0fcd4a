// The git inputs of fetchTree and fetchGit, as Nix 2.8's git fetcher: a commit of a git repository (`url`, and
// `ref`/`rev` to choose it) exported with `git archive` (or checked out with its submodules)
// into the store, with `rev`, `shortRev`, `revCount`, `lastModified(Date)`, `narHash` and
// `submodules`. A local working tree without ref or rev is taken as it is when it has
// uncommitted changes (its tracked files, and no rev). Other repositories are
// fetched into a bare clone in the cache, as Nix does in ~/.cache/nix/gitv3.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { PlainError } from "../../eval/errors.ts";
import { bytesToUtf8, encodeBytes, utf8ToBytes } from "../../nix-compat/byte-string.ts";
import { type Hash, hashBytes, parseHash } from "../../nix-compat/hash.ts";
import { narHash } from "../../nix-compat/nar/writer.ts";
import { makeFixedOutputPath } from "../../nix-compat/store-path.ts";
import { nixCompat } from "../nix-compat-errors.ts";
import type { GlueServices } from "../services.ts";
import { type CacheEntry, FetchCache } from "./fetch-cache.ts";
import type { InputScheme } from "./fetch-tree.ts";
import { Input, parseUrl, vcsAttrs, vcsUrl } from "./input.ts";
import { trackedFilesFilter } from "./tracked-files.ts";

/** The attributes a git input may have (Nix's GitInputScheme::inputFromAttrs). */
const GIT_ATTRIBUTES = new Set(["type", "url", "ref", "rev", "shallow", "submodules", "lastModified", "revCount", "narHash", "allRefs", "name"]);

const GIT_URL_SCHEMES = new Set(["git", "git+http", "git+https", "git+ssh", "git+file"]);

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
}

/** What a fetch found out, besides the store path. */
interface GitResult {
  storePath: string;
  narHash: Hash;
  /** The branch or tag and the commit; both undefined for a dirty working tree. */
  ref?: string;
  rev?: string;
  revCount?: number;
  lastModified: number;
}

/** Nix's fixURIForGit: scp-like `user@host:path` means ssh, a bare path means file://. */
export function fixGitUrl(url: string): string {
  const scp = /^([^/]*)@(.*):(.*)$/.exec(url);
  if (url[0] !== "/" && scp) return `ssh://${scp[1]}@${scp[2]}/${scp[3]}`;
  return url.includes("://") ? url : `file://${url}`;
}

function gitInput(input: Input): GitInput {
  return {
    url: input.str("url"),
    name: input.name,
    ref: input.ref,
    rev: input.rev?.encode("base16"),
    shallow: input.maybeBool("shallow") ?? false,
    submodules: input.maybeBool("submodules") ?? false,
    allRefs: input.maybeBool("allRefs") ?? false,
  };
}

/** Runs git and returns its output (stderr goes to ours, as with Nix's runProgram). */
function git(args: string[]): string {
  const result = spawnSync("git", args.map(bytesToUtf8), { encoding: "latin1", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 30 });
  if (result.error) throw new PlainError(`executing 'git': ${result.error.message}`);
  if (result.status !== 0) throw new PlainError(`program 'git' failed with exit code ${result.status}`);
  return result.stdout;
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
      if (hit) return this.fromCache(hit, input.ref);
    }
    const url = parseUrl(input.url);
    // A bare repository, even a local one, is fetched like a remote one.
    const isLocal = url.scheme === "file" && existsSync(encodeBytes(`${url.path}/.git`));
    const path = url.path;
    const actualUrl = isLocal ? path : url.base;
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
      repoDir = this.updateClone(actualUrl, ref);
      rev ??= git(["-C", repoDir, "rev-parse", ref.startsWith("refs/") ? ref : `refs/heads/${ref}`]).trim();
    }
    if (!input.shallow && git(["-C", repoDir, "rev-parse", "--is-shallow-repository"]).trim() === "true") {
      throw new PlainError(`'${actualUrl}' is a shallow Git repository, but a non-shallow repository is needed`);
    }
    const hit = this.cache.lookup(this.lockedKey(rev));
    if (hit) return this.fromCache(hit, ref);
    return this.export(repoDir, rev, ref, actualUrl);
  }

  private fromCache(entry: CacheEntry, ref: string | undefined): GitResult {
    const info = entry.info;
    const hash = nixCompat(() => parseHash(info.hash as string));
    const storePath = this.services.store.addHashed(this.input.name, `${utf8ToBytes(entry.dir)}/tree`, "recursive", hash);
    return { storePath, narHash: hash, ref, rev: info.rev as string, revCount: info.revCount as number | undefined, lastModified: info.lastModified as number };
  }

  /** A local working tree with changes: its tracked files as they are; undefined when it is clean. */
  private fetchDirtyWorkingTree(repo: string): GitResult | undefined {
    const head = spawnSync("git", ["-C", bytesToUtf8(repo), "--git-dir=.git", "rev-parse", "--verify", "--no-revs", "HEAD^{commit}"], {
      encoding: "latin1",
      env: { ...process.env, LC_ALL: "C" },
    });
    const output = `${head.stdout}${head.stderr}`;
    if (output.includes("fatal: not a git repository")) throw new PlainError(`'${repo}' is not a Git repository`);
    const hasHead = head.status === 0;
    if (!hasHead && !output.includes("fatal: Needed a single revision")) {
      throw new PlainError(`getting the HEAD of the Git tree '${repo}' failed with exit code ${head.status}:\n${output}`);
    }
    if (hasHead) {
      const diff = spawnSync("git", ["-C", bytesToUtf8(repo), "diff", "HEAD", "--quiet", ...(this.input.submodules ? [] : ["--ignore-submodules"]), "--"], { stdio: "inherit" });
      if (diff.status === 0) return undefined;
      if (diff.status !== 1) throw new PlainError(`program 'git' failed with exit code ${diff.status}`);
    }
    this.services.warn(`Git tree '${repo}' is dirty`);
    const listed = git(["-C", repo, "ls-files", "-z", ...(this.input.submodules ? ["--recurse-submodules"] : [])]);
    const { storePath, hash } = this.services.store.addLocal(this.input.name, repo, "recursive", trackedFilesFilter(repo, listed.split("\0")));
    const lastModified = hasHead ? Number(git(["-C", repo, "log", "-1", "--format=%ct", "--no-show-signature", "HEAD"]).trim()) : 0;
    return { storePath, narHash: hash, lastModified };
  }

  /** The bare clone of a remote repository in the cache, fetched when it lacks what is asked for. */
  private updateClone(url: string, ref: string): string {
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
      throw new PlainError(
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
      if (untar.status !== 0) throw new PlainError(`failed to extract archive (${untar.stderr.trim()})`);
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
    return this.fromCache(entry, ref);
  }
}

export const gitScheme: InputScheme = {
  type: "git",
  fromUrl(url) {
    if (!GIT_URL_SCHEMES.has(url.scheme)) return undefined;
    const input = new Input(vcsAttrs(url, "git", ["shallow", "submodules"]));
    this.check(input);
    return input;
  },
  check(input) {
    for (const name of input.attrs.keys()) if (!GIT_ATTRIBUTES.has(name)) throw new PlainError(`unsupported Git input attribute '${name}'`);
    parseUrl(input.str("url"));
    for (const name of ["shallow", "submodules", "allRefs"]) input.maybeBool(name);
    const ref = input.ref;
    if (ref !== undefined && BAD_GIT_REF.test(ref)) throw new PlainError(`invalid Git branch/tag name '${ref}'`);
  },
  toUrl(input) {
    return vcsUrl(input, "git", input.maybeBool("shallow") === true ? { shallow: "1" } : {});
  },
  fetch(services, input) {
    const git = gitInput(input);
    const result = new GitFetcher(services, git).fetch();
    const attrs = new Map(input.attrs);
    if (result.rev !== undefined) {
      attrs.set("ref", result.ref as string);
      attrs.set("rev", result.rev);
      if (!git.shallow) attrs.set("revCount", result.revCount as number);
    }
    attrs.set("lastModified", result.lastModified);
    return { storePath: result.storePath, narHash: result.narHash, input: new Input(attrs) };
  },
};
