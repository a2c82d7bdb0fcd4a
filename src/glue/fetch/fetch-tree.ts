// builtins.fetchTree (with the `flakes` feature) and builtins.fetchGit, as Nix 2.8's
// fetchTree.cc and Input::fetch: the argument (attributes, or a URL) becomes an Input, the
// scheme of its type fetches it, the result is checked against what the input promised
// (narHash, lastModified, revCount), and its attributes are returned. fetchGit is fetchTree
// of type git that also takes `name` and reports a dirty tree with an all-zero rev.
import { builtin, type Builtin } from "../../eval/builtins/registry.ts";
import { EvalError, NixTypeError, PlainError } from "../../eval/errors.ts";
import { coerceToString } from "../../eval/runtime/coerce.ts";
import { forceStringNoContext } from "../../eval/runtime/force.ts";
import type { EvalState } from "../../eval/state.ts";
import { NixAttrs } from "../../eval/value/attrs.ts";
import { NixPath } from "../../eval/value/path.ts";
import { ContextString, stringText } from "../../eval/value/string.ts";
import { force } from "../../eval/value/thunk.ts";
import { isString, showType, type Value } from "../../eval/value/value.ts";
import type { Hash } from "../../nix-compat/hash.ts";
import { type GlueServices, requireExperimentalFeature } from "../services.ts";
import { fixGitUrl, gitScheme } from "./fetch-git.ts";
import { mercurialScheme } from "./fetch-mercurial.ts";
import { pathScheme } from "./fetch-path.ts";
import { tarballScheme } from "./fetch-url.ts";
import { attrsToJson, Input, type InputAttr, type ParsedUrl, parseUrl } from "./input.ts";

/** What a scheme's fetch gives: the store path, its NAR hash, and the input with what was found out (rev, lastModified…). */
export interface Fetched {
  storePath: string;
  narHash: Hash;
  input: Input;
}

/** One type of input (Nix's InputScheme). */
export interface InputScheme {
  readonly type: string;
  /** The input a URL of this scheme stands for, or undefined when the URL is not this scheme's. */
  fromUrl(url: ParsedUrl): Input | undefined;
  /** Checks the attributes of an input of this type (Nix's inputFromAttrs). */
  check(input: Input): void;
  /** The input as a URL, as messages show it. */
  toUrl(input: Input): string;
  fetch(services: GlueServices, input: Input): Fetched;
}

/** Types Nix 2.8 has that need a service on the network (or the flake registry); not done yet. */
const UNIMPLEMENTED_TYPES = ["github", "gitlab", "sourcehut", "indirect"];

const unimplemented: InputScheme[] = UNIMPLEMENTED_TYPES.map((type) => ({
  type,
  fromUrl: (url) => (url.scheme === type || (type === "indirect" && url.scheme === "flake") ? fail() : undefined),
  check: () => {},
  toUrl: (input) => attrsToJson(input.attrs),
  fetch: fail,
}));

function fail(): never {
  throw new PlainError(`fetchTree inputs of types ${UNIMPLEMENTED_TYPES.join(", ")} are not implemented yet in tvix-ts`);
}

/** The schemes, by type; a function because fetch-mercurial.ts, which they include, imports this module. */
const schemes = (): readonly InputScheme[] => [gitScheme, mercurialScheme, pathScheme, tarballScheme, ...unimplemented];

/** Nix's fixupInput: the common attributes must have their types. */
function fixup(input: Input): Input {
  void [input.type, input.ref, input.rev, input.revCount, input.lastModified, input.narHash];
  return input;
}

export function inputFromAttrs(attrs: Map<string, InputAttr>): Input {
  const input = new Input(attrs);
  schemes().find((s) => s.type === input.type)?.check(input);
  return fixup(input);
}

export function inputFromUrl(url: string): Input {
  const parsed = parseUrl(url);
  for (const scheme of schemes()) {
    const input = scheme.fromUrl(parsed);
    if (input) return fixup(input);
  }
  throw new PlainError(`input '${url}' is unsupported`);
}

/** Nix's Input::fetch. */
export function fetchInput(services: GlueServices, input: Input): Fetched {
  const scheme = schemes().find((s) => s.type === input.type);
  if (scheme === undefined) throw new PlainError(`cannot fetch unsupported input '${attrsToJson(input.attrs)}'`);
  let fetched: Fetched;
  try {
    fetched = scheme.fetch(services, input);
  } catch (err) {
    if (err instanceof EvalError) err.addTrace(0, `while fetching the input '${scheme.toUrl(input)}'`);
    throw err;
  }
  const { storePath, narHash } = fetched;
  fetched.input.attrs.set("narHash", narHash.toSri());
  const expected = input.narHash;
  if (expected !== undefined && !expected.equals(narHash)) {
    const err = new PlainError(`NAR hash mismatch in input '${scheme.toUrl(input)}' (${storePath}), expected '${expected.toSri()}', got '${narHash.toSri()}'`);
    err.status = 102;
    throw err;
  }
  for (const name of ["lastModified", "revCount"]) {
    const promised = input.maybeInt(name);
    if (promised !== undefined && fetched.input.maybeInt(name) !== promised) {
      throw new PlainError(`'${name}' attribute mismatch in input '${scheme.toUrl(fetched.input)}', expected ${promised}`);
    }
  }
  return fetched;
}

/** Nix's fixURI: a bare path is a file:// URL. */
function fixUri(url: string): string {
  return url.includes("://") ? url : `file://${url}`;
}

/** `%Y%m%d%H%M%S` of a Unix time, in UTC. */
function formatDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-T:]/g, "").slice(0, 14);
}

interface FetchTreeParams {
  /** fetchGit's: a dirty tree has rev "000…" and revCount 0. */
  emptyRevFallback: boolean;
  allowNameArgument: boolean;
}

/** The Input fetchTree's argument describes (attributes, or a URL); `type` is fixed for fetchGit. */
function parseArgument(state: EvalState, arg: Value, type: string | undefined, params: FetchTreeParams): Input {
  const v = force(arg);
  const toStr = (value: Value): string => stringText(coerceToString(state, value, { coerceMore: false, copyToStore: false }));
  if (!(v instanceof NixAttrs)) {
    const url = toStr(v);
    return type === "git" ? inputFromAttrs(new Map([["type", "git"], ["url", fixGitUrl(url)]])) : inputFromUrl(fixUri(url));
  }
  const typeIndex = v.names.indexOf("type");
  if (typeIndex >= 0) {
    if (type !== undefined) throw new EvalError("unexpected attribute 'type'");
    type = forceStringNoContext(v.values[typeIndex]);
  } else if (type === undefined) {
    throw new EvalError("attribute 'type' is missing in call to 'fetchTree'");
  }
  const attrs = new Map<string, InputAttr>([["type", type]]);
  v.names.forEach((key, i) => {
    if (key === "type") return;
    const value = force(v.values[i]);
    if (value instanceof NixPath || isString(value)) {
      const s = toStr(value);
      attrs.set(key, key === "url" ? (type === "git" ? fixGitUrl(s) : fixUri(s)) : s);
    } else if (typeof value === "boolean") {
      attrs.set(key, value);
    } else if (typeof value === "number" || typeof value === "bigint") {
      attrs.set(key, Number(BigInt.asUintN(64, BigInt(value))));
    } else {
      const err = new NixTypeError(`fetchTree argument '${key}' is ${showType(value)} while a string, Boolean or integer is expected`);
      err.pos = 0;
      throw err;
    }
  });
  if (!params.allowNameArgument && attrs.has("name")) throw new EvalError("attribute 'name' isn't supported in call to 'fetchTree'");
  return inputFromAttrs(attrs);
}

/** Nix's emitTreeAttrs. */
function treeAttrs(fetched: Fetched, emptyRevFallback: boolean): NixAttrs {
  const { storePath, narHash, input } = fetched;
  const attrs: Record<string, Value> = {
    outPath: new ContextString(storePath, new Set([storePath])),
    narHash: narHash.toSri(),
  };
  if (input.type === "git") attrs.submodules = input.maybeBool("submodules") ?? false;
  const rev = input.rev?.encode("base16") ?? (emptyRevFallback ? "0".repeat(40) : undefined);
  if (rev !== undefined) {
    attrs.rev = rev;
    attrs.shortRev = rev.slice(0, 7);
  }
  const revCount = input.revCount ?? (emptyRevFallback ? 0 : undefined);
  if (revCount !== undefined) attrs.revCount = revCount;
  const lastModified = input.lastModified;
  if (lastModified !== undefined) {
    attrs.lastModified = lastModified;
    attrs.lastModifiedDate = formatDate(lastModified);
  }
  return NixAttrs.of(attrs);
}

export function fetchTreeBuiltins(services: GlueServices): Builtin[] {
  return [
    builtin("fetchTree", 1, (state, arg) => {
      requireExperimentalFeature(services, "flakes");
      const input = parseArgument(state, arg, undefined, { emptyRevFallback: false, allowNameArgument: false });
      return treeAttrs(fetchInput(services, input), false);
    }),
    builtin("fetchGit", 1, (state, arg) => {
      const input = parseArgument(state, arg, "git", { emptyRevFallback: true, allowNameArgument: true });
      return treeAttrs(fetchInput(services, input), true);
    }),
  ];
}
