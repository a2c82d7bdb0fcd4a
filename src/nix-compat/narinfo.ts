// `.narinfo` files of binary caches: `Key: value` lines describing one store path and the
// (compressed) NAR that holds it. Printing is Nix 2.8's `NarInfo::to_string`; parsing accepts
// what Nix 2.8's parser accepts, except that it is stricter where Nix silently misreads: every
// line must be `Key: value`, and a single-valued field may not appear twice.
// Also the fingerprint that binary-cache signatures sign.
import { type ContentAddress, formatContentAddress, parseContentAddress } from "./content-address.ts";
import { NixCompatError } from "./errors.ts";
import { type Hash, parseHash } from "./hash.ts";
import { Signature } from "./signing.ts";
import { DEFAULT_STORE_DIR, type StorePath, parseStorePath, parseStorePathBaseName } from "./store-path.ts";

export interface NarInfo {
  storePath: StorePath;
  /** Where the (compressed) NAR is, relative to the cache root, e.g. `nar/<filehash>.nar.xz`. */
  url: string;
  /** `none`, `xz`, `bzip2`, `zstd`, …; Nix reads a missing field as `bzip2`. */
  compression: string;
  /** sha256 of the file at `url`. */
  fileHash?: Hash;
  fileSize?: number;
  /** sha256 of the uncompressed NAR. */
  narHash: Hash;
  narSize: number;
  references: StorePath[];
  deriver?: StorePath;
  system?: string;
  signatures: Signature[];
  ca?: ContentAddress;
}

/** What a path's fingerprint covers: the parts of its PathInfo that signatures vouch for. */
export interface FingerprintFields {
  storePath: StorePath;
  narHash: Hash;
  narSize: number;
  references: readonly StorePath[];
}

const SINGLE_VALUED = new Set(["StorePath", "URL", "Compression", "FileHash", "FileSize", "NarHash", "NarSize", "References", "Deriver", "System", "CA"]);

/** Parses a narinfo; store paths must be in `storeDir`. */
export function parseNarInfo(text: string, storeDir: string = DEFAULT_STORE_DIR): NarInfo {
  let storePath: StorePath | undefined;
  let url = "";
  let compression = "";
  let fileHash: Hash | undefined;
  let fileSize: number | undefined;
  let narHash: Hash | undefined;
  let narSize: number | undefined;
  let references: StorePath[] = [];
  let deriver: StorePath | undefined;
  let system: string | undefined;
  const signatures: Signature[] = [];
  let ca: ContentAddress | undefined;

  const seen = new Set<string>();
  let pos = 0;
  for (let line = 1; pos < text.length; line++) {
    const eol = text.indexOf("\n", pos);
    if (eol < 0) throw new NixCompatError(`narinfo line ${line} does not end with a newline`);
    const entry = text.slice(pos, eol);
    pos = eol + 1;
    const colon = entry.indexOf(":");
    if (colon <= 0 || entry[colon + 1] !== " ") throw new NixCompatError(`narinfo line ${line} is not of the form 'Key: value': '${entry}'`);
    const key = entry.slice(0, colon);
    const value = entry.slice(colon + 2);
    if (SINGLE_VALUED.has(key)) {
      if (seen.has(key)) throw new NixCompatError(`narinfo line ${line}: field ${key} appears twice`);
      seen.add(key);
    }
    try {
      switch (key) {
        case "StorePath":
          storePath = parseStorePath(value, storeDir);
          break;
        case "URL":
          url = value;
          break;
        case "Compression":
          compression = value;
          break;
        case "FileHash":
          fileHash = parseSha256(value);
          break;
        case "FileSize":
          fileSize = parseSize(value);
          break;
        case "NarHash":
          narHash = parseSha256(value);
          break;
        case "NarSize":
          narSize = parseSize(value);
          break;
        case "References":
          references = value.split(" ").filter((r) => r !== "").map(parseStorePathBaseName);
          break;
        case "Deriver":
          deriver = value === "unknown-deriver" ? undefined : parseStorePathBaseName(value);
          break;
        case "System":
          system = value === "" ? undefined : value;
          break;
        case "Sig":
          signatures.push(Signature.parse(value));
          break;
        case "CA":
          ca = value === "" ? undefined : parseContentAddress(value);
          break;
        default:
        // Nix ignores fields it does not know.
      }
    } catch (err) {
      if (!(err instanceof NixCompatError)) throw err;
      throw new NixCompatError(`narinfo line ${line}, field ${key}: ${err.message}`);
    }
  }

  if (storePath === undefined) throw new NixCompatError("narinfo has no StorePath field");
  if (url === "") throw new NixCompatError("narinfo has no URL field, or it is empty");
  if (narHash === undefined) throw new NixCompatError("narinfo has no NarHash field");
  // Nix treats a NAR size of 0 as unknown, and a narinfo without it as corrupt.
  if (narSize === undefined || narSize === 0) throw new NixCompatError("narinfo has no NarSize field, or it is 0");
  return {
    storePath,
    url,
    compression: compression === "" ? "bzip2" : compression,
    fileHash,
    fileSize,
    narHash,
    narSize,
    references,
    deriver,
    system,
    signatures,
    ca,
  };
}

/** Narinfo hashes are sha256 and carry their algorithm (`sha256:…` or SRI). */
function parseSha256(value: string): Hash {
  if (!/^sha256[:-]/.test(value)) throw new NixCompatError(`'${value}' is not a sha256 hash with its 'sha256:' prefix`);
  return parseHash(value);
}

function parseSize(value: string): number {
  if (!/^[0-9]+$/.test(value)) throw new NixCompatError(`'${value}' is not a size in bytes`);
  const size = Number(value);
  if (!Number.isSafeInteger(size)) throw new NixCompatError(`size ${value} is too large (the limit is 2^53 - 1)`);
  return size;
}

/**
 * Prints a narinfo exactly as Nix does: references and signatures are sets in Nix, so they come
 * out sorted and without repeats, hashes in nix32.
 */
export function formatNarInfo(info: NarInfo, storeDir: string = DEFAULT_STORE_DIR): string {
  if (info.narHash.algo !== "sha256") throw new NixCompatError(`a narinfo NarHash must be sha256, not ${info.narHash.algo}`);
  if (info.fileHash && info.fileHash.algo !== "sha256") throw new NixCompatError(`a narinfo FileHash must be sha256, not ${info.fileHash.algo}`);
  for (const [key, value] of [["URL", info.url], ["Compression", info.compression], ["System", info.system ?? ""]]) {
    if (value.includes("\n")) throw new NixCompatError(`a narinfo ${key} must not contain a newline`);
  }
  let out = `StorePath: ${info.storePath.toAbsolute(storeDir)}\n`;
  out += `URL: ${info.url}\n`;
  out += `Compression: ${info.compression}\n`;
  if (info.fileHash) out += `FileHash: ${info.fileHash.format("nix32")}\n`;
  if (info.fileSize !== undefined) out += `FileSize: ${info.fileSize}\n`;
  out += `NarHash: ${info.narHash.format("nix32")}\n`;
  out += `NarSize: ${info.narSize}\n`;
  out += `References: ${sortedUnique(info.references.map((r) => r.baseName)).join(" ")}\n`;
  if (info.deriver) out += `Deriver: ${info.deriver.baseName}\n`;
  if (info.system) out += `System: ${info.system}\n`;
  for (const sig of sortedUnique(info.signatures.map(String))) out += `Sig: ${sig}\n`;
  if (info.ca) out += `CA: ${formatContentAddress(info.ca)}\n`;
  return out;
}

/**
 * Nix's `ValidPathInfo::fingerprint`, the string binary-cache signatures sign:
 * `1;<store path>;sha256:<nix32 NAR hash>;<NAR size>;<references, absolute, sorted, comma-separated>`.
 */
export function fingerprint(info: FingerprintFields, storeDir: string = DEFAULT_STORE_DIR): string {
  const path = info.storePath.toAbsolute(storeDir);
  if (info.narSize === 0) throw new NixCompatError(`cannot calculate fingerprint of path '${path}' because its size is not known`);
  if (info.narHash.algo !== "sha256") throw new NixCompatError(`cannot calculate fingerprint of path '${path}': its NAR hash is ${info.narHash.algo}, not sha256`);
  const references = sortedUnique(info.references.map((r) => r.toAbsolute(storeDir)));
  return `1;${path};${info.narHash.format("nix32")};${info.narSize};${references.join(",")}`;
}

/** Nix's std::set order: byte order (names are ASCII, so code units compare the same). */
function sortedUnique(items: string[]): string[] {
  return [...new Set(items)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
