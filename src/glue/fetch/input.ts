// A fetcher input as Nix 2.8's libfetchers has it: a set of attributes (`type`, `url`, `rev`,
// `narHash`…) with string, Boolean or integer values, made from fetchTree's argument or from
// a URL (`git+file:///repo?ref=main`), and shown as a URL again in messages. The URL syntax
// is Nix's parseURL, whose regular expression decides which strings are URLs at all.
import { PlainError } from "../../eval/errors.ts";
import { Hash, parseHash } from "../../nix-compat/hash.ts";
import { nixCompat } from "../nix-compat-errors.ts";

export type InputAttr = string | boolean | number;

// Nix's url-parts.hh.
const PCT_ENCODED = "(?:%[0-9a-fA-F][0-9a-fA-F])";
const SCHEME = "(?:[a-z][a-z0-9+.-]*)";
const IPV6_SEGMENT = "[0-9a-fA-F:]+(?:%\\w+)?";
const IPV6_ADDRESS = `(?:\\[${IPV6_SEGMENT}\\]|${IPV6_SEGMENT})`;
const UNRESERVED = "(?:[a-zA-Z0-9-._~])";
const SUBDELIMS = "(?:[!$&'\"()*+,;=])";
const HOSTNAME = `(?:(?:${UNRESERVED}|${PCT_ENCODED}|${SUBDELIMS})*)`;
const HOST = `(?:${IPV6_ADDRESS}|${HOSTNAME})`;
const USER = `(?:(?:${UNRESERVED}|${PCT_ENCODED}|${SUBDELIMS}|:)*)`;
const AUTHORITY = `(?:${USER}@)?${HOST}(?::[0-9]+)?`;
const PCHAR = `(?:${UNRESERVED}|${PCT_ENCODED}|${SUBDELIMS}|[:@])`;
const QUERY = `(?:${PCHAR}|[/? "])*`;
const SEGMENT = `(?:${PCHAR}*)`;
const ABS_PATH = `(?:(?:/${SEGMENT})*/?)`;
const PATH = `(?:${SEGMENT}(?:/${SEGMENT})*/?)`;
const URI = new RegExp(`^((${SCHEME}):(?:(?://(${AUTHORITY})(${ABS_PATH}))|(/?${PATH})))(?:\\?(${QUERY}))?(?:#(${QUERY}))?$`);

export interface ParsedUrl {
  url: string;
  /** Everything before the query. */
  base: string;
  scheme: string;
  authority?: string;
  path: string;
  /** Sorted by name when shown, as Nix's std::map is. */
  query: Map<string, string>;
  fragment: string;
}

export function parseUrl(url: string): ParsedUrl {
  const m = URI.exec(url);
  if (!m) throw new PlainError(`'${url}' is not a valid URL`);
  const [, base, scheme, authority, absPath, path, query, fragment] = m;
  const isFile = scheme.includes("file");
  if (authority !== undefined && authority !== "" && isFile) throw new PlainError(`file:// URL '${url}' has unexpected authority '${authority}'`);
  const decodedQuery = new Map<string, string>();
  for (const part of (query ?? "").split("&")) {
    const eq = part.indexOf("=");
    if (eq >= 0 && !decodedQuery.has(part.slice(0, eq))) decodedQuery.set(part.slice(0, eq), percentDecode(part.slice(eq + 1)));
  }
  let p = absPath ?? path;
  if (isFile && p === "") p = "/";
  return { url, base, scheme, authority, path: p, query: decodedQuery, fragment: percentDecode(fragment ?? "") };
}

function percentDecode(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; ) {
    if (s[i] !== "%") {
      out += s[i++];
      continue;
    }
    const hex = /^[0-9a-fA-F]+/.exec(s.slice(i + 1, i + 3));
    if (i + 2 >= s.length || !hex) throw new PlainError(`invalid URI parameter '${s}'`);
    out += String.fromCharCode(parseInt(hex[0], 16));
    i += 3;
  }
  return out;
}

function percentEncode(s: string): string {
  let out = "";
  for (const c of s) out += /[a-zA-Z0-9\-._~!$&'()*+,;=:@]/.test(c) ? c : `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  return out;
}

export function urlToString(url: Omit<ParsedUrl, "url" | "base">): string {
  const query = [...url.query].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`);
  return `${url.scheme}:${url.authority !== undefined ? `//${url.authority}` : ""}${url.path}${query.length > 0 ? `?${query.join("&")}` : ""}${url.fragment !== "" ? `#${percentEncode(url.fragment)}` : ""}`;
}

/**
 * The attributes of a version control URL (`git+https://…?ref=main`, `hg+file://…`): the
 * URL without the `type+` prefix, and `rev`, `ref` and the given Boolean `flags` (`=1` is
 * true) taken out of its query.
 */
export function vcsAttrs(url: ParsedUrl, type: string, flags: readonly string[]): Map<string, InputAttr> {
  const attrs = new Map<string, InputAttr>([["type", type]]);
  const rest = new Map<string, string>();
  for (const [name, value] of url.query) {
    if (name === "rev" || name === "ref") attrs.set(name, value);
    else if (flags.includes(name)) attrs.set(name, value === "1");
    else rest.set(name, value);
  }
  const scheme = url.scheme.startsWith(`${type}+`) ? url.scheme.slice(type.length + 1) : url.scheme;
  attrs.set("url", urlToString({ ...url, scheme, query: rest }));
  return attrs;
}

/** A version control input as a URL again: `type+` before the scheme (unless it is `bare`), `rev` and `ref` (and `extra`) in the query. */
export function vcsUrl(input: Input, bare: string | undefined, extra: Record<string, string> = {}): string {
  const url = parseUrl(input.str("url"));
  const query = new Map(url.query);
  const rev = input.rev;
  if (rev !== undefined) query.set("rev", rev.encode("base16"));
  if (input.ref !== undefined) query.set("ref", input.ref);
  for (const [name, value] of Object.entries(extra)) query.set(name, value);
  return urlToString({ ...url, scheme: url.scheme === bare ? url.scheme : `${input.type}+${url.scheme}`, query });
}

/** Nix's attrsToJSON, for messages about inputs no scheme takes: keys sorted, as in a std::map. */
export function attrsToJson(attrs: ReadonlyMap<string, InputAttr>): string {
  return JSON.stringify(Object.fromEntries([...attrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** Input attributes with Nix's typed accessors (attrs.cc, fetchers.cc). */
export class Input {
  readonly attrs: Map<string, InputAttr>;

  constructor(attrs: Map<string, InputAttr>) {
    this.attrs = attrs;
  }

  maybeStr(name: string): string | undefined {
    const v = this.attrs.get(name);
    if (v !== undefined && typeof v !== "string") throw new PlainError(`input attribute '${name}' is not a string ${attrsToJson(this.attrs)}`);
    return v;
  }

  str(name: string): string {
    const v = this.maybeStr(name);
    if (v === undefined) throw new PlainError(`input attribute '${name}' is missing`);
    return v;
  }

  maybeInt(name: string): number | undefined {
    const v = this.attrs.get(name);
    if (v !== undefined && typeof v !== "number") throw new PlainError(`input attribute '${name}' is not an integer`);
    return v;
  }

  maybeBool(name: string): boolean | undefined {
    const v = this.attrs.get(name);
    if (v !== undefined && typeof v !== "boolean") throw new PlainError(`input attribute '${name}' is not a Boolean`);
    return v;
  }

  get type(): string {
    return this.str("type");
  }

  get name(): string {
    return this.maybeStr("name") ?? "source";
  }

  get ref(): string | undefined {
    return this.maybeStr("ref");
  }

  /** A prefixed hash (`sha256:…`, SRI), else a SHA-1 in any encoding. */
  get rev(): Hash | undefined {
    const s = this.maybeStr("rev");
    return s === undefined ? undefined : nixCompat(() => parseHash(s, s.includes(":") || s.includes("-") ? undefined : "sha1"));
  }

  get narHash(): Hash | undefined {
    const s = this.maybeStr("narHash");
    if (s === undefined) return undefined;
    const hash = s === "" ? new Hash("sha256", new Uint8Array(32)) : nixCompat(() => parseHash(s));
    if (hash.algo !== "sha256") throw new PlainError("narHash must use SHA-256");
    return hash;
  }

  get revCount(): number | undefined {
    return this.maybeInt("revCount");
  }

  get lastModified(): number | undefined {
    return this.maybeInt("lastModified");
  }
}
