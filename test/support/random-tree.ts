// Seeded random filesystem trees for differential tests and benchmarks: nested and empty
// directories, executables, symlinks (relative, absolute, dangling), awkward names (spaces,
// newlines, unicode, bytes that are not UTF-8, names whose UTF-16 and byte orders differ) and
// file sizes around multiples of 8 and beyond 1 MiB. The same seed gives the same tree.
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { SeededRandom } from "./seeded-random.ts";

export type TreeNodeKind = "directory" | "regular" | "symlink";

export interface RandomTreeOptions {
  seed: number;
  /** About how many files, directories and symlinks to create under the root (default 30). */
  entries?: number;
  /** Deepest directory nesting, not counting the occasional deep chain (default 5). */
  maxDepth?: number;
  /** Add files of 1–16 MiB until file contents total at least this many bytes. */
  totalBytes?: number;
  /** What the root itself is (default a directory). */
  root?: TreeNodeKind;
}

export interface TreeStats {
  files: number;
  directories: number;
  symlinks: number;
  /** Bytes of file contents. */
  bytes: number;
}

const MiB = 1 << 20;

/** An integer in [0, n). */
function below(random: SeededRandom, n: number): number {
  return random.int(0, n - 1);
}

function chance(random: SeededRandom, p: number): boolean {
  return random.next() < p;
}

function randomBytes(random: SeededRandom, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = random.next() * 256;
  return out;
}

// Names chosen to break naive implementations: sorting by UTF-16 instead of bytes (U+FF61 sorts
// before U+1F600 as bytes, after it in UTF-16), prefixes, dots, control characters, non-UTF-8.
const AWKWARD_NAMES: (string | number[])[] = [
  "a", "ab", "a.b", "a-b", "a_b", "A", "Z", "z", "0", "~", "...", "..a", ".hidden", "-dash",
  "with space", " leading", "trailing ", "new\nline", "tab\there", "ctl\x01\x1f", "del\x7f",
  "quote\"'\\", "é", "e\u0301", "日本語", "\u{1F600}", "\uFF61", "\uFFFD", "Ω",
  [0xff], [0xfe, 0xff], [0x61, 0x80], [0xc3], [0xed, 0xa0, 0x80], [0x61, 0xff, 0x62],
];

const WORDS = ["lib", "bin", "share", "doc", "src", "include", "etc", "default.nix", "README", "Makefile", "x"];

/** File modes to exercise the S_IXUSR rule: only the owner's x bit makes a file executable. */
const FILE_MODES = [0o644, 0o644, 0o644, 0o755, 0o755, 0o700, 0o744, 0o654, 0o645, 0o600, 0o444, 0o500];

/** Sizes near the edges that matter: padding to 8 and the writer's 1 MiB buffer. */
function fileSize(random: SeededRandom): number {
  switch (below(random, 6)) {
    case 0:
      return below(random, 17);
    case 1:
      return 8 * below(random, 64) + random.pick([-1, 0, 1, 7, 9]) + 1;
    case 2:
      return below(random, 4097);
    case 3:
      return below(random, 64 << 10);
    case 4:
      return chance(random, 0.1) ? MiB + random.pick([-8, -1, 0, 1, 7, 8, 4096]) : below(random, 256);
    default:
      return 0;
  }
}

function entryName(random: SeededRandom, taken: Set<string>, short: boolean): Buffer {
  for (;;) {
    let name: Buffer;
    const roll = short ? 0 : below(random, 10);
    if (roll < 4) name = Buffer.from(random.pick(WORDS) + (chance(random, 0.5) ? String(below(random, 100)) : ""));
    else if (roll < 8) {
      const pick = random.pick(AWKWARD_NAMES);
      name = typeof pick === "string" ? Buffer.from(pick) : Buffer.from(pick);
    } else if (roll < 9) name = longName(random);
    else name = Buffer.from(randomBytes(random, 1 + below(random, 12)).map((b) => (b === 0 || b === 0x2f ? 0x41 : b)));
    if (name.equals(DOT) || name.equals(DOTDOT)) continue;
    const key = name.toString("latin1");
    if (!taken.has(key)) {
      taken.add(key);
      return name;
    }
  }
}

const DOT = Buffer.from(".");
const DOTDOT = Buffer.from("..");

/** A name at or near NAME_MAX (255 bytes), sometimes made of multi-byte characters. */
function longName(random: SeededRandom): Buffer {
  if (chance(random, 0.5)) return Buffer.from("é".repeat(127) + "x".repeat(below(random, 2)));
  return Buffer.from("L".repeat(240 + below(random, 16)));
}

function symlinkTarget(random: SeededRandom, siblings: Buffer[]): Buffer {
  switch (below(random, 8)) {
    case 0:
      return siblings.length > 0 ? random.pick(siblings) : Buffer.from("dangling");
    case 1:
      return Buffer.from("../" + random.pick(WORDS));
    case 2:
      return Buffer.from("/nix/store/00000000000000000000000000000000-absent/bin/sh");
    case 3:
      return Buffer.from(random.pick(["/", ".", "..", "/etc/passwd", "./self"]));
    case 4:
      return Buffer.from(random.pick(["does not exist", "new\nline", "日本/語", "a//b/", "\u{1F600}"]));
    case 5:
      return Buffer.from([0x74, 0xff, 0x01, 0x2f, 0x80]);
    case 6:
      return Buffer.from("d/".repeat(1 + below(random, 2000)) + "end");
    default:
      return Buffer.from(random.pick(WORDS));
  }
}

/** Content bytes shared by every file: a fixed pseudo-random pool read at random offsets. */
let pool: Buffer | undefined;
function contentPool(): Buffer {
  pool ??= randomBytes(new SeededRandom(0x5eed), 4 * MiB);
  return pool;
}

function writeContents(path: Buffer, size: number, random: SeededRandom): void {
  const source = contentPool();
  if (size <= source.length) {
    const start = below(random, source.length - size + 1);
    writeFileSync(path, source.subarray(start, start + size));
    return;
  }
  const pieces: Buffer[] = [];
  for (let left = size; left > 0; left -= source.length) pieces.push(source.subarray(0, Math.min(left, source.length)));
  writeFileSync(path, Buffer.concat(pieces, size));
}

interface PlannedDirectory {
  path: Buffer;
  depth: number;
  taken: Set<string>;
  names: Buffer[];
}

/** Creates a random tree at `path` (which must not exist) and says what is in it. */
export function createRandomTree(path: string, options: RandomTreeOptions): TreeStats {
  const random = new SeededRandom(options.seed);
  const stats: TreeStats = { files: 0, directories: 0, symlinks: 0, bytes: 0 };
  const root = Buffer.from(path);
  const makeFile = (file: Buffer, size: number): void => {
    writeContents(file, size, random);
    chmodSync(file, random.pick(FILE_MODES));
    stats.files++;
    stats.bytes += size;
  };
  const rootKind = options.root ?? "directory";
  if (rootKind === "regular") {
    makeFile(root, fileSize(random));
    return stats;
  }
  if (rootKind === "symlink") {
    symlinkSync(symlinkTarget(random, []), root);
    stats.symlinks++;
    return stats;
  }

  mkdirSync(root);
  stats.directories++;
  const directories: PlannedDirectory[] = [{ path: root, depth: 0, taken: new Set(), names: [] }];
  const maxDepth = options.maxDepth ?? 5;
  // Short names keep deep chains well under PATH_MAX.
  const newEntry = (parent: PlannedDirectory, short = false): Buffer => {
    const name = entryName(random, parent.taken, short);
    parent.names.push(name);
    return Buffer.concat([parent.path, SLASH, name]);
  };
  const addDirectory = (parent: PlannedDirectory, inChain = false): PlannedDirectory => {
    const dir = newEntry(parent, inChain);
    mkdirSync(dir);
    stats.directories++;
    const planned = { path: dir, depth: parent.depth + 1, taken: new Set<string>(), names: [] };
    // Directories of a deep chain get nothing else, so chains never stack up past PATH_MAX.
    if (!inChain) directories.push(planned);
    return planned;
  };

  const entries = options.entries ?? 30;
  for (let i = 0; i < entries; i++) {
    // Prefer recent directories so trees grow deep as well as wide.
    const parent = chance(random, 0.5) ? directories[directories.length - 1 - below(random, Math.min(3, directories.length))] : random.pick(directories);
    const roll = below(random, 100);
    if (roll < 20) {
      if (parent.depth < maxDepth) addDirectory(parent);
      else makeFile(newEntry(parent), fileSize(random));
    } else if (roll < 22) {
      // A deep chain of single directories, ending in a file.
      let dir = parent;
      for (let depth = 10 + below(random, 30); depth > 0; depth--) dir = addDirectory(dir, true);
      makeFile(newEntry(dir, true), below(random, 9));
    } else if (roll < 37) {
      const target = symlinkTarget(random, parent.names);
      symlinkSync(target, newEntry(parent));
      stats.symlinks++;
    } else makeFile(newEntry(parent), fileSize(random));
  }
  while (options.totalBytes !== undefined && stats.bytes < options.totalBytes) {
    const size = Math.min(MiB + below(random, 15 * MiB), options.totalBytes - stats.bytes + below(random, 8));
    makeFile(newEntry(random.pick(directories)), size);
  }
  return stats;
}

const SLASH = Buffer.from("/");
