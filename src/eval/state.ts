// EvalState: one evaluation's world — the outside (EvalIO), settings, the global scope with
// the builtins, and the caches (files already evaluated, paths already copied to the store).
// Builtins receive it as their first argument; `import` comes back here to load files.
import { writeSync } from "node:fs";
import { bytesToUtf8, utf8ToBytes } from "../nix-compat/byte-string.ts";
import { filterAnsiEscapes } from "../nix-compat/log-text.ts";
import { dirOf } from "../nix-compat/path-names.ts";
import { coreBuiltins } from "./builtins/index.ts";
import type { Builtin } from "./builtins/registry.ts";
import { Compiler } from "./compiler/compiler.ts";
import type { Env } from "./compiler/env.ts";
import { CompileScope } from "./compiler/scope.ts";
import { EvalError } from "./errors.ts";
import type { EvalIO } from "./io.ts";
import { addSource, type Source } from "./position.ts";
import type { Expr } from "./syntax/ast.ts";
import { NIX_GLOBAL_NAMES } from "./syntax/global-names.ts";
import { parseNix } from "./syntax/parse.ts";
import { canonPath } from "./syntax/paths.ts";
import { NixAttrs } from "./value/attrs.ts";
import { PrimOp } from "./value/function.ts";
import { force, Thunk } from "./value/thunk.ts";
import type { ForcedValue, Value } from "./value/value.ts";

/** Nix gives up following a chain of symlinks after this many. */
const MAX_SYMLINK_FOLLOWS = 1024;

/** One `-I`/NIX_PATH entry: `prefix=path`, or just a path (empty prefix). */
export interface SearchPathEntry {
  prefix: string;
  path: string;
}

export interface EvalOptions {
  io: EvalIO;
  /** `-I` entries first, then NIX_PATH's. */
  searchPath?: SearchPathEntry[];
  /** Keep "while evaluating …" frames in errors (--show-trace). */
  showTrace?: boolean;
  /** `builtins.currentSystem`. */
  currentSystem?: string;
  /** For `~/…` path literals. */
  homeDir?: string;
  /** Where `builtins.trace` messages go (a line each, a byte string); default stderr. */
  log?: (line: string) => void;
  /** For `builtins.getEnv`; default this process's environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Builtins beyond the core (derivation, fetchers…), added to the global scope. */
  extraBuiltins?: readonly Builtin[];
}

export class EvalState {
  readonly io: EvalIO;
  readonly searchPath: readonly SearchPathEntry[];
  readonly showTrace: boolean;
  readonly currentSystem: string;
  /** Writes a diagnostic line (`trace: …`), in order with everything else on stderr. */
  readonly log: (line: string) => void;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly homeDir: string | undefined;
  private readonly compiler: Compiler;
  private readonly globalNames: string[];
  private readonly globalValues: Value[];
  private readonly globalScope: CompileScope;
  private readonly globalEnv: Env;
  /** The `builtins` set. */
  readonly builtins: NixAttrs;
  /** Evaluated files by path (as given and as resolved), like Nix's fileEvalCache. */
  private readonly fileCache = new Map<string, ForcedValue>();
  /** Paths already copied to the store ("${./x}"), like Nix's srcToStore. */
  private readonly srcToStore = new Map<string, string>();

  constructor(options: EvalOptions) {
    this.io = options.io;
    this.searchPath = options.searchPath ?? [];
    this.showTrace = options.showTrace ?? false;
    this.currentSystem = options.currentSystem ?? "x86_64-linux";
    this.homeDir = options.homeDir;
    this.log = options.log ?? ((line) => writeSync(2, Buffer.from(`${filterAnsiEscapes(line)}\n`, "latin1")));
    this.env = options.env ?? process.env;
    this.compiler = new Compiler(this);
    const { names, values, builtins } = this.createGlobals([...coreBuiltins, ...(options.extraBuiltins ?? [])]);
    this.globalNames = names;
    this.globalValues = values;
    this.builtins = builtins;
    this.globalScope = CompileScope.global(values);
    this.globalEnv = [null, ...values];
    this.evaluateConstants();
  }

  /**
   * Nix computes its constants when it makes the global scope, so they are values, not
   * thunks (`{ a = null; }` prints `null`, not <CODE>, without --strict). They are thunks until
   * the scope exists because some (`derivation`) are Nix code that needs it.
   */
  private evaluateConstants(): void {
    const builtinValues = this.builtins.values as Value[];
    this.globalValues.forEach((value, i) => {
      if (!(value instanceof Thunk) || this.globalNames[i] === "builtins") return;
      const forced = force(value);
      this.globalValues[i] = forced;
      this.globalEnv[i + 1] = forced;
      const name = this.globalNames[i];
      builtinValues[this.builtins.shape.indexOf(name.startsWith("__") ? name.slice(2) : name)] = forced;
    });
  }

  /**
   * The global scope: every builtin under its own name (`__typeOf`, `map`), `builtins` with
   * the "__" dropped, and for names Nix 2.8 has that nobody implements yet a value that fails
   * when used, so that programs still resolve as they do in Nix.
   */
  private createGlobals(list: readonly Builtin[]): { names: string[]; values: Value[]; builtins: NixAttrs } {
    const byName = new Map<string, Value>();
    for (const b of list) {
      const short = b.name.startsWith("__") ? b.name.slice(2) : b.name;
      if ("constant" in b) byName.set(b.name, new Thunk(() => force(b.constant(this)), null));
      else byName.set(b.name, new PrimOp(short, b.arity, b.impl, this));
    }
    const names = [...NIX_GLOBAL_NAMES];
    for (const name of byName.keys()) if (!names.includes(name)) names.push(name);
    // `builtins` contains itself, so its own value is filled in after the set exists.
    const values = names.map((name) => byName.get(name) ?? notImplemented(name, this));
    const builtins = NixAttrs.fromEntries(
      names.map((name) => (name.startsWith("__") ? name.slice(2) : name)),
      values,
    );
    const self = names.indexOf("builtins");
    values[self] = builtins;
    (builtins.values as Value[])[builtins.shape.indexOf("builtins")] = builtins;
    return { names, values, builtins };
  }

  private parse(source: Source, globals: readonly string[], baseDir?: string): Expr {
    return parseNix(source, { baseDir, homeDir: this.homeDir, globals });
  }

  /** Evaluates Nix text (`-E`, `--arg`); relative paths in it are relative to `baseDir`. */
  evalText(text: string, baseDir: string): ForcedValue {
    const expr = this.parse(addSource(null, text), this.globalNames, baseDir);
    return this.compiler.compile(expr, this.globalScope)(this.globalEnv);
  }

  /** `import path`: evaluates a file once (a directory means its default.nix). */
  evalFile(path: string): ForcedValue {
    const cached = this.fileCache.get(path);
    if (cached !== undefined) return cached;
    const resolved = this.resolveExprPath(path);
    let value = this.fileCache.get(resolved);
    if (value === undefined) {
      const expr = this.parse(addSource(resolved, this.io.readFile(resolved)), this.globalNames);
      try {
        value = this.compiler.compile(expr, this.globalScope)(this.globalEnv);
      } catch (err) {
        if (err instanceof EvalError) err.addTrace(0, `while evaluating the file '${resolved}':`);
        throw err;
      }
      this.fileCache.set(resolved, value);
    }
    this.fileCache.set(path, value);
    return value;
  }

  /** `scopedImport scope path`: the file sees the attributes of `scope` as variables. */
  evalFileWithScope(path: string, scope: NixAttrs): ForcedValue {
    const resolved = this.resolveExprPath(path);
    return this.compileWithScope(addSource(resolved, this.io.readFile(resolved)), scope)();
  }

  /**
   * Parses and compiles Nix text (a repl line) that sees the attributes of `scope` as
   * variables; syntax errors are thrown now, the returned function evaluates it.
   */
  compileTextWithScope(text: string, baseDir: string, scope: NixAttrs): () => ForcedValue {
    return this.compileWithScope(addSource(null, text), scope, baseDir);
  }

  private compileWithScope(source: Source, scope: NixAttrs, baseDir?: string): () => ForcedValue {
    // One scope holding both, the scope's names hiding the globals, resolves as Nix's two do.
    const names = scope.names.slice();
    const values = scope.values.slice();
    const own = new Set(names);
    this.globalNames.forEach((name, i) => {
      if (own.has(name)) return;
      names.push(name);
      values.push(this.globalValues[i]);
    });
    const code = this.compiler.compile(this.parse(source, names, baseDir), CompileScope.global(values));
    return () => code([null, ...values]);
  }

  /** Forgets the files evaluated so far, so that they are read again (the repl's :load and :reload). */
  resetFileCache(): void {
    this.fileCache.clear();
  }

  /** The names in scope everywhere, builtins and constants (the repl completes them). */
  get globalVariables(): readonly string[] {
    return this.globalNames;
  }

  /**
   * Nix's resolveExprPath: a symlink named last is followed (lexically, relative to its
   * directory, so that `../x` in the file means what its author meant), symlinks earlier in
   * the path are not; a directory stands for its default.nix.
   */
  private resolveExprPath(path: string): string {
    let resolved = canonPath(path);
    if (!this.io.pathExists(resolved)) return resolved;
    for (let follows = 1; this.io.fileType(resolved) === "symlink"; follows++) {
      if (follows >= MAX_SYMLINK_FOLLOWS) throw new EvalError(`too many symbolic links encountered while traversing the path '${path}'`);
      const target = this.io.readLink(resolved);
      resolved = canonPath(target.startsWith("/") ? target : `${dirOf(resolved)}/${target}`);
    }
    if (this.io.fileType(resolved) === "directory") resolved = `${resolved}/default.nix`;
    return resolved;
  }

  /** Looks `name` (`nixpkgs/lib`) up in a search path, as `<nixpkgs/lib>` does. */
  findFile(searchPath: readonly SearchPathEntry[], name: string): string | undefined {
    for (const { prefix, path } of searchPath) {
      let suffix: string;
      if (prefix === "") suffix = `/${name}`;
      else {
        if (!name.startsWith(prefix) || (name.length > prefix.length && name[prefix.length] !== "/")) continue;
        suffix = name.length === prefix.length ? "" : `/${name.slice(prefix.length + 1)}`;
      }
      const base = path.startsWith("/") ? path : `${process.cwd()}/${path}`;
      if (!this.io.pathExists(base)) continue;
      const candidate = base + suffix;
      if (this.io.pathExists(candidate)) return canonPath(candidate);
    }
    // Nix's built-in files (<nix/fetchurl.nix>), which EvalIO provides.
    if (name.startsWith("nix/")) return `/__corepkgs__/${name.slice(4)}`;
    return undefined;
  }

  /** An environment variable's value as bytes, or "" (`builtins.getEnv`). */
  getEnv(name: string): string {
    const value = this.env[bytesToUtf8(name)];
    return value === undefined ? "" : utf8ToBytes(value);
  }

  /** Copies a source path to the store (once) and returns the store path. */
  copyPathToStore(path: string): string {
    let storePath = this.srcToStore.get(path);
    if (storePath === undefined) {
      if (path.endsWith(".drv")) throw new EvalError("file names are not allowed to end in '.drv'");
      storePath = this.io.importPath(path, path.slice(path.lastIndexOf("/") + 1));
      this.srcToStore.set(path, storePath);
    }
    return storePath;
  }
}

/** A stand-in for a builtin nobody has implemented: a function that fails when called. */
function notImplemented(name: string, state: EvalState): Value {
  return new PrimOp(name.startsWith("__") ? name.slice(2) : name, 1, () => {
    throw new EvalError(`'${name}' is not implemented yet in tvix-ts`);
  }, state);
}
