// Reads the ATerm `Derive(...)` of a `.drv` file with Nix 2.8's rules (`parseDerivation`):
// escapes `\n`, `\r`, `\t` and `\<c>` → `<c>`; outputs classified by which of path, hashAlgo
// and hash are set. Stricter than Nix where Nix silently accepts garbage (missing commas,
// duplicate keys, trailing bytes, a hash without hashAlgo): those are errors naming the byte.
import { decodeBytes } from "../byte-string.ts";
import { NixCompatError } from "../errors.ts";
import { type HashAlgo, parseHash, parseHashAlgo } from "../hash.ts";
import { DEFAULT_STORE_DIR, type FileIngestionMethod, parseStorePath } from "../store-path.ts";
import type { Derivation, DerivationOutput } from "./derivation.ts";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const UNESCAPE: Record<number, number> = { 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 }; // n r t

export interface ParseOptions {
  storeDir?: string;
}

/** Parses the bytes of a `.drv` file. */
export function parseAterm(bytes: Uint8Array, options: ParseOptions = {}): Derivation {
  return new AtermReader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), options.storeDir ?? DEFAULT_STORE_DIR).derivation();
}

class AtermReader {
  private readonly bytes: Buffer;
  private readonly storeDir: string;
  private pos = 0;
  /** The part being read, for error messages. */
  private section = "the header";

  constructor(bytes: Buffer, storeDir: string) {
    this.bytes = bytes;
    this.storeDir = storeDir;
  }

  derivation(): Derivation {
    this.expect("Derive(");
    this.section = "outputs";
    const outputs = new Map<string, DerivationOutput>();
    this.list(() => {
      this.expect("(");
      const at = this.pos;
      const name = this.string();
      if (outputs.has(name)) throw this.error(`duplicate output '${name}'`, at);
      outputs.set(name, this.outputFields(name));
      this.expect(")");
    });
    this.expect(",");
    this.section = "inputDrvs";
    const inputDrvs = new Map<string, string[]>();
    this.list(() => {
      this.expect("(");
      const at = this.pos;
      const path = this.storePath("input derivation");
      if (inputDrvs.has(path)) throw this.error(`duplicate input derivation '${path}'`, at);
      this.expect(",");
      inputDrvs.set(path, this.stringSet("output name of input derivation"));
      this.expect(")");
    });
    this.expect(",");
    this.section = "inputSrcs";
    const inputSrcs: string[] = [];
    const srcSet = new Set<string>();
    this.list(() => {
      const at = this.pos;
      const path = this.storePath("input source");
      if (srcSet.has(path)) throw this.error(`duplicate input source '${path}'`, at);
      srcSet.add(path);
      inputSrcs.push(path);
    });
    this.expect(",");
    this.section = "system";
    const system = this.string();
    this.expect(",");
    this.section = "builder";
    const builder = this.string();
    this.expect(",");
    this.section = "args";
    const args: string[] = [];
    this.list(() => args.push(this.string()));
    this.expect(",");
    this.section = "env";
    const env = new Map<string, string>();
    this.list(() => {
      this.expect("(");
      const at = this.pos;
      const name = this.string();
      if (env.has(name)) throw this.error(`duplicate env entry '${name}'`, at);
      this.expect(",");
      env.set(name, this.string());
      this.expect(")");
    });
    this.section = "the trailer";
    this.expect(")");
    if (this.pos < this.bytes.length) throw this.error("unexpected data after the derivation");
    return { outputs, inputDrvs, inputSrcs, system, builder, args, env };
  }

  /** `,"path","hashAlgo","hash"` of output `name`, classified as Nix's parseDerivationOutput. */
  private outputFields(name: string): DerivationOutput {
    this.expect(",");
    const pathAt = this.pos;
    const path = this.string();
    this.expect(",");
    const algoAt = this.pos;
    let hashAlgo = this.string();
    this.expect(",");
    const hashAt = this.pos;
    const hash = this.string();
    const checkedPath = () => this.checkStorePath(path, `path of output '${name}'`, pathAt);
    const mustBeEmpty = (what: string) => {
      if (path !== "") throw this.error(`${what} output '${name}' must have an empty path, not '${path}'`, pathAt);
    };
    if (hashAlgo === "") {
      if (hash !== "") throw this.error(`output '${name}' has hash '${hash}' but no hashAlgo`, hashAt);
      return path === "" ? { kind: "deferred" } : { kind: "inputAddressed", path: checkedPath() };
    }
    let method: FileIngestionMethod = "flat";
    if (hashAlgo.startsWith("r:")) {
      method = "recursive";
      hashAlgo = hashAlgo.slice(2);
    }
    const algo = this.wrap(() => parseHashAlgo(hashAlgo), `hashAlgo of output '${name}'`, algoAt);
    if (hash === "impure") {
      mustBeEmpty("impure");
      return { kind: "impure", method, hashAlgo: algo };
    }
    if (hash === "") {
      mustBeEmpty("floating content-addressed");
      return { kind: "floating", method, hashAlgo: algo };
    }
    return { kind: "fixed", path: checkedPath(), hash: { method, hash: this.wrap(() => parseBareHash(hash, algo), `hash of output '${name}'`, hashAt) } };
  }

  /** `[...]`: calls `element` for each element; elements are separated by exactly one comma. */
  private list(element: () => void): void {
    this.expect("[");
    if (this.peek() === CLOSE_BRACKET) {
      this.pos++;
      return;
    }
    for (;;) {
      element();
      const c = this.peek();
      this.pos++;
      if (c === COMMA) continue;
      if (c === CLOSE_BRACKET) return;
      this.pos--;
      throw this.error(`expected ',' or ']', found ${this.describe(this.pos)}`);
    }
  }

  private stringSet(what: string): string[] {
    const values: string[] = [];
    this.list(() => {
      const at = this.pos;
      const value = this.string();
      if (values.includes(value)) throw this.error(`duplicate ${what} '${value}'`, at);
      values.push(value);
    });
    return values;
  }

  private storePath(what: string): string {
    const at = this.pos;
    return this.checkStorePath(this.string(), what, at);
  }

  private checkStorePath(path: string, what: string, at: number): string {
    this.wrap(() => parseStorePath(path, this.storeDir), what, at);
    return path;
  }

  /** A quoted string, unescaped as Nix does. */
  private string(): string {
    const open = this.pos;
    this.expect('"');
    const parts: Uint8Array[] = [];
    let from = this.pos;
    for (;;) {
      const close = this.bytes.indexOf(QUOTE, from);
      if (close < 0) throw this.error("unterminated string", open);
      const escape = this.bytes.subarray(from, close).indexOf(BACKSLASH);
      if (escape < 0) {
        parts.push(this.bytes.subarray(from, close));
        this.pos = close + 1;
        return decodeBytes(parts.length === 1 ? parts[0] : Buffer.concat(parts));
      }
      const at = from + escape;
      const escaped = this.bytes[at + 1];
      parts.push(this.bytes.subarray(from, at), Uint8Array.of(UNESCAPE[escaped] ?? escaped));
      from = at + 2;
    }
  }

  private expect(literal: string): void {
    for (let i = 0; i < literal.length; i++) {
      if (this.bytes[this.pos + i] !== literal.charCodeAt(i)) {
        throw this.error(`expected '${literal}', found ${this.describe(this.pos + i)}`, this.pos + i);
      }
    }
    this.pos += literal.length;
  }

  private peek(): number | undefined {
    return this.bytes[this.pos];
  }

  private describe(at: number): string {
    if (at >= this.bytes.length) return "end of input";
    const c = this.bytes[at];
    return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, "0")}`;
  }

  /** Runs `check`, turning its error into one that says what was checked and where. */
  private wrap<T>(check: () => T, what: string, at: number): T {
    try {
      return check();
    } catch (err) {
      if (err instanceof NixCompatError) throw this.error(`bad ${what}: ${err.message}`, at);
      throw err;
    }
  }

  private error(message: string, at: number = this.pos): NixCompatError {
    return new NixCompatError(`invalid derivation at byte ${at} (in ${this.section}): ${message}`);
  }
}

/** A hash digest without `algo:` prefix, in base16, nix32 or base64 (Nix's parseNonSRIUnprefixed). */
function parseBareHash(text: string, algo: HashAlgo) {
  if (text.includes(":") || text.includes("-")) throw new NixCompatError(`hash '${text}' must be a bare ${algo} digest`);
  return parseHash(text, algo);
}
