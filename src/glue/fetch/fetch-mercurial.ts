// Mercurial inputs (fetchTree's `hg` type) and builtins.fetchMercurial, as Nix 2.8's
// mercurial.cc and fetchMercurial.cc: the repository is cloned (or pulled) into the cache
// with `hg`, the asked-for revision or branch is archived into the store, and `rev`,
// `revCount` (hg's local revision number) and the branch are reported. A local working tree
// with uncommitted changes, asked for without rev or ref, is taken as it is (its tracked
// files, no rev).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { builtin, type Builtin } from "../../eval/builtins/registry.ts";
import { EvalError, PlainError } from "../../eval/errors.ts";
import { coerceToString } from "../../eval/runtime/coerce.ts";
import { forceStringNoContext } from "../../eval/runtime/force.ts";
import type { EvalState } from "../../eval/state.ts";
import { NixAttrs } from "../../eval/value/attrs.ts";
import { ContextString, stringText } from "../../eval/value/string.ts";
import { force } from "../../eval/value/thunk.ts";
import type { Value } from "../../eval/value/value.ts";
import { bytesToUtf8, encodeBytes, utf8ToBytes } from "../../nix-compat/byte-string.ts";
import { type Hash, hashBytes, parseHash } from "../../nix-compat/hash.ts";
import { narHash } from "../../nix-compat/nar/writer.ts";
import { makeFixedOutputPath } from "../../nix-compat/store-path.ts";
import { strerror } from "../../nix-compat/strerror.ts";
import { nixCompat } from "../nix-compat-errors.ts";
import type { GlueServices } from "../services.ts";
import { type CacheEntry, FetchCache } from "./fetch-cache.ts";
import { type Fetched, fetchInput, inputFromAttrs, type InputScheme } from "./fetch-tree.ts";
import { Input, type InputAttr, parseUrl, vcsAttrs, vcsUrl } from "./input.ts";
import { trackedFilesFilter } from "./tracked-files.ts";

const HG_ATTRIBUTES = new Set(["type", "url", "ref", "rev", "revCount", "narHash", "name"]);
const HG_URL_SCHEMES = new Set(["hg+http", "hg+https", "hg+ssh", "hg+file"]);

/** Nix's refRegex: a branch or tag name. */
const REF = /^[a-zA-Z0-9][a-zA-Z0-9_./-]*$/;
/** Nix's revRegex: a full commit hash. */
const REV = /^[0-9a-fA-F]{40}$/;

/** Runs hg (HGPLAIN: no user configuration in its output) and returns its output; a failure is an error when `check` is on. */
function hg(args: string[], check = true): string {
  const result = spawnSync("hg", args.map(bytesToUtf8), {
    encoding: "latin1",
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, HGPLAIN: "" },
    maxBuffer: 1 << 30,
  });
  if (result.error) throw new PlainError(`executing 'hg': ${strerror(result.error) ?? result.error.message}`);
  if (check && result.status !== 0) throw new PlainError(`hg failed with exit code ${result.status}`);
  return result.stdout;
}

/** A local working tree with uncommitted changes: its tracked files; undefined when it is clean. */
function fetchUncleanTree(services: GlueServices, input: Input, repo: string): Fetched | undefined {
  if (hg(["status", "-R", repo, "--modified", "--added", "--removed"]) === "") return undefined;
  services.warn(`Mercurial tree '${repo}' is unclean`);
  const attrs = new Map(input.attrs);
  attrs.set("ref", hg(["branch", "-R", repo]).trimEnd());
  const files = hg(["status", "-R", repo, "--clean", "--modified", "--added", "--no-status", "--print0"]).split("\0");
  const { storePath, hash } = services.store.addLocal(input.name, repo, "recursive", trackedFilesFilter(repo, files));
  return { storePath, narHash: hash, input: new Input(attrs) };
}

/** The clone in the cache of the repository at `url`, pulled unless it has `rev` already. */
function updateClone(services: GlueServices, url: string, rev: string | undefined): string {
  const cacheDir = `${utf8ToBytes(services.cacheDir)}/hg/${hashBytes("sha256", url).encode("nix32")}`;
  const exists = existsSync(encodeBytes(cacheDir));
  if (rev !== undefined && exists && hg(["log", "-R", cacheDir, "-r", rev, "--template", "1"], false) === "1") return cacheDir;
  if (!exists) {
    mkdirSync(encodeBytes(`${utf8ToBytes(services.cacheDir)}/hg`), { recursive: true });
    hg(["clone", "--noupdate", "--", url, cacheDir]);
    return cacheDir;
  }
  try {
    hg(["pull", "-R", cacheDir, "--", url]);
  } catch (err) {
    // hg leaves a journal behind after an interrupted transaction, and refuses to go on until recovered.
    if (!existsSync(encodeBytes(`${cacheDir}/.hg/store/journal`))) throw err;
    hg(["recover", "-R", cacheDir]);
    hg(["pull", "-R", cacheDir, "--", url]);
  }
  return cacheDir;
}

function fetchHg(services: GlueServices, input: Input): Fetched {
  const name = input.name;
  const url = parseUrl(input.str("url"));
  const isLocal = url.scheme === "file";
  const actualUrl = isLocal ? url.path : url.base;
  if (input.ref === undefined && input.rev === undefined && isLocal && existsSync(encodeBytes(`${actualUrl}/.hg`))) {
    const unclean = fetchUncleanTree(services, input, actualUrl);
    if (unclean) return unclean;
  }
  const attrs = new Map(input.attrs);
  const ref = input.ref ?? "default";
  attrs.set("ref", ref);
  const cache = new FetchCache(services.cacheDir);
  const lockedKey = (rev: Hash): Record<string, string> => {
    if (rev.algo !== "sha1") throw new PlainError(`Hash '${rev.format("base16")}' is not supported by Mercurial. Only sha1 is supported.`);
    return { type: "hg", name, rev: rev.encode("base16") };
  };
  const result = (entry: CacheEntry): Fetched => {
    const hash = nixCompat(() => parseHash(entry.info.hash as string));
    attrs.set("rev", entry.info.rev as string);
    attrs.set("revCount", entry.info.revCount as number);
    return { storePath: services.store.addHashed(name, `${utf8ToBytes(entry.dir)}/tree`, "recursive", hash), narHash: hash, input: new Input(attrs) };
  };
  const askedRev = input.rev;
  if (askedRev !== undefined) {
    const hit = cache.lookup(lockedKey(askedRev));
    if (hit) return result(hit);
  }
  // The revision a branch had when last fetched (kept for an hour), and that revision's entry.
  const unlockedKey = { type: "hg", name, url: actualUrl, ref };
  const tip = cache.lookup(unlockedKey);
  if (tip && (askedRev === undefined || askedRev.encode("base16") === tip.info.rev)) {
    const hit = cache.lookup({ type: "hg", name, rev: tip.info.rev as string });
    if (hit) return result(hit);
  }
  const repo = updateClone(services, actualUrl, askedRev?.encode("base16"));
  const [node, revNumber, branch] = hg(["log", "-R", repo, "-r", askedRev?.encode("base16") ?? ref, "--template", "{node} {rev} {branch}"]).split(/\s+/);
  const rev = nixCompat(() => parseHash(node, "sha1"));
  attrs.set("ref", branch);
  const hit = cache.lookup(lockedKey(rev));
  if (hit) return result(hit);
  const scratch = cache.scratch();
  const tree = `${utf8ToBytes(scratch)}/tree`;
  hg(["archive", "-R", repo, "-r", rev.encode("base16"), tree]);
  rmSync(encodeBytes(`${tree}/.hg_archival.txt`), { force: true });
  const hash = nixCompat(() => narHash(encodeBytes(tree)).hash);
  const storePath = nixCompat(() => makeFixedOutputPath(name, "recursive", hash, { storeDir: services.store.storeDir }).toAbsolute(services.store.storeDir));
  const info = { storePath, fetchedAt: Date.now() / 1000, hash: hash.toSri(), rev: rev.encode("base16"), revCount: Number(revNumber) };
  if (askedRev === undefined) cache.commit(unlockedKey, cache.scratch(), { ...info, locked: false });
  return result(cache.commit(lockedKey(rev), scratch, { ...info, locked: true }));
}

export const mercurialScheme: InputScheme = {
  type: "hg",
  fromUrl(url) {
    if (!HG_URL_SCHEMES.has(url.scheme)) return undefined;
    const input = new Input(vcsAttrs(url, "hg", []));
    this.check(input);
    return input;
  },
  check(input) {
    for (const name of input.attrs.keys()) if (!HG_ATTRIBUTES.has(name)) throw new PlainError(`unsupported Mercurial input attribute '${name}'`);
    parseUrl(input.str("url"));
    const ref = input.ref;
    if (ref !== undefined && !REF.test(ref)) throw new PlainError(`invalid Mercurial branch/tag name '${ref}'`);
  },
  toUrl: (input) => vcsUrl(input, undefined),
  fetch: fetchHg,
};

/** fetchMercurial's argument as an hg input. */
function parseArgument(state: EvalState, arg: Value): Input {
  const v = force(arg);
  const toStr = (value: Value): string => stringText(coerceToString(state, value, { coerceMore: false, copyToStore: false }));
  let url = "";
  const attrs = new Map<string, InputAttr>([["type", "hg"], ["name", "source"]]);
  if (v instanceof NixAttrs) {
    v.names.forEach((key, i) => {
      if (key === "url") url = toStr(v.values[i]);
      else if (key === "rev") {
        // Unlike fetchGit's, this rev may also be a branch or tag name.
        const value = forceStringNoContext(v.values[i]);
        if (REV.test(value)) attrs.set("rev", value.toLowerCase());
        else attrs.set("ref", value);
      } else if (key === "name") attrs.set("name", forceStringNoContext(v.values[i]));
      else throw new EvalError(`unsupported argument '${key}' to 'fetchMercurial'`, v.posAt(i));
    });
    if (url === "") throw new EvalError("'url' argument required");
  } else {
    url = toStr(v);
  }
  attrs.set("url", url.includes("://") ? url : `file://${url}`);
  return inputFromAttrs(attrs);
}

export function fetchMercurialBuiltin(services: GlueServices): Builtin {
  return builtin("fetchMercurial", 1, (state, arg) => {
    const { storePath, input } = fetchInput(services, parseArgument(state, arg));
    // A dirty tree has the all-zero rev, for compatibility with older Nix.
    const rev = input.rev?.encode("base16") ?? "0".repeat(40);
    const attrs: Record<string, Value> = {
      outPath: new ContextString(storePath, new Set([storePath])),
      rev,
      shortRev: rev.slice(0, 12),
    };
    if (input.ref !== undefined) attrs.branch = input.ref;
    if (input.revCount !== undefined) attrs.revCount = input.revCount;
    return NixAttrs.of(attrs);
  });
}
