// A streaming NAR parser. Bytes are pushed in chunks of any size (a stdin stream, a download);
// the parser calls a visitor for each node as soon as it is complete, and passes file contents
// through without buffering them. It accepts only canonical NARs, exactly as `nix-store --dump`
// writes them, and rejects anything else with the byte offset and the reason: hostile archives
// must not be able to write outside the target, escape through symlinks or exhaust memory.
import { NixCompatError } from "../errors.ts";
import { MAX_NAME_LENGTH, MAX_TARGET_LENGTH, NAR_MAGIC, paddingLength } from "./wire.ts";

/**
 * What a NAR holds, in order. The root node comes first; each `entry` is followed by the events
 * of its node. Byte arguments are fresh copies the visitor may keep (but not modify), except
 * `contents` chunks, which are only valid during the call.
 */
export interface NarVisitor {
  /** A directory starts (the root, or the node of the last `entry`). */
  directory(): void;
  /** The next entry of the innermost open directory; the name is valid and in order. */
  entry(name: Buffer): void;
  /** The innermost open directory ends. */
  directoryEnd(): void;
  /** A regular file starts; `offset` is where its contents start in the NAR. */
  file(executable: boolean, size: number, offset: number): void;
  contents(chunk: Uint8Array): void;
  fileEnd(): void;
  symlink(target: Buffer): void;
}

export interface NarReaderOptions {
  /** How deep directories may nest (default 1024; Linux's PATH_MAX allows about 2048). */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 1024;

/** Where the parser is in the grammar (see wire.ts): which token comes next. */
const S = {
  magic: 0,
  nodeOpen: 1,
  typeTag: 2,
  type: 3,
  regularTag: 4,
  executableValue: 5,
  contentsTag: 6,
  contentsLength: 7,
  contents: 8,
  contentsPadding: 9,
  nodeClose: 10,
  targetTag: 11,
  target: 12,
  directoryTag: 13,
  entryOpen: 14,
  nameTag: 15,
  name: 16,
  nodeTag: 17,
  entryClose: 18,
  done: 19,
} as const;
type State = (typeof S)[keyof typeof S];

const EXPECTED: Record<State, string> = {
  [S.magic]: `the NAR magic '${NAR_MAGIC}'`,
  [S.nodeOpen]: "'('",
  [S.typeTag]: "'type'",
  [S.type]: "'regular', 'symlink' or 'directory'",
  [S.regularTag]: "'executable' or 'contents'",
  [S.executableValue]: "the empty string after 'executable'",
  [S.contentsTag]: "'contents'",
  [S.contentsLength]: "the length of the file contents",
  [S.contents]: "file contents",
  [S.contentsPadding]: "the padding after the file contents",
  [S.nodeClose]: "')'",
  [S.targetTag]: "'target'",
  [S.target]: "the symlink target",
  [S.directoryTag]: "'entry' or ')'",
  [S.entryOpen]: "'('",
  [S.nameTag]: "'name'",
  [S.name]: "the entry name",
  [S.nodeTag]: "'node'",
  [S.entryClose]: "')'",
  [S.done]: "the end of the NAR",
};

/** Longest token any grammar keyword needs; longer strings where a keyword belongs are refused unread. */
const MAX_KEYWORD_LENGTH = 16;

function maxStringLength(state: State): number {
  if (state === S.name) return MAX_NAME_LENGTH;
  if (state === S.target) return MAX_TARGET_LENGTH;
  if (state === S.executableValue) return 0;
  return MAX_KEYWORD_LENGTH;
}

const keyword = (s: string): Buffer => Buffer.from(s);
const K = {
  magic: keyword(NAR_MAGIC),
  open: keyword("("),
  close: keyword(")"),
  type: keyword("type"),
  regular: keyword("regular"),
  symlink: keyword("symlink"),
  directory: keyword("directory"),
  executable: keyword("executable"),
  contents: keyword("contents"),
  target: keyword("target"),
  entry: keyword("entry"),
  name: keyword("name"),
  node: keyword("node"),
  dot: keyword("."),
  dotdot: keyword(".."),
};

/** States where exactly one keyword may come, and the state after it. */
const KEYWORD_STEPS: Partial<Record<State, [Buffer, State]>> = {
  [S.nodeOpen]: [K.open, S.typeTag],
  [S.typeTag]: [K.type, S.type],
  [S.contentsTag]: [K.contents, S.contentsLength],
  [S.targetTag]: [K.target, S.target],
  [S.entryOpen]: [K.open, S.nameTag],
  [S.nameTag]: [K.name, S.name],
  [S.entryClose]: [K.close, S.directoryTag],
};

/** The low-level piece being read: a u64 length, a string's bytes and padding, or contents. */
const P = { length: 0, body: 1, contents: 2, padding: 3 } as const;
type Piece = (typeof P)[keyof typeof P];

/** The push parser: `push` every chunk, then `end`. Errors are NixCompatErrors with an offset. */
export class NarReader {
  private readonly visitor: NarVisitor;
  private readonly maxDepth: number;
  private state: State = S.magic;
  private piece: Piece = P.length;
  /** Bytes the current piece needs, and how many of them wait in `scratch` (split across chunks). */
  private need = 8;
  private filled = 0;
  private readonly scratch = Buffer.alloc(8 + MAX_TARGET_LENGTH + 8);
  /** NAR offset where the current piece starts. */
  private pieceOffset = 0;
  /** NAR offset of the current string token (its length field), for error messages. */
  private tokenOffset = 0;
  private stringLength = 0;
  private executable = false;
  private contentsLeft = 0;
  private contentsSize = 0;
  /** The previous entry name of each open directory, innermost last. */
  private readonly directories: (Buffer | undefined)[] = [];
  private failure: unknown;

  constructor(visitor: NarVisitor, options: NarReaderOptions = {}) {
    this.visitor = visitor;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  /** Bytes consumed so far: the NAR's size once `end` has returned. */
  get offset(): number {
    return this.pieceOffset + this.filled;
  }

  push(chunk: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    try {
      this.consume(chunk);
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }

  /** Declares the input complete; throws if the NAR is truncated. */
  end(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.state === S.done) return;
    const expected =
      this.piece === P.contents
        ? `${this.contentsLeft} more bytes of file contents`
        : this.piece === P.padding
          ? EXPECTED[S.contentsPadding]
          : EXPECTED[this.state];
    this.failure = new NixCompatError(`NAR is truncated at offset ${this.offset}: expected ${expected}`);
    throw this.failure;
  }

  private consume(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.state === S.done) this.fail(this.offset, "trailing data after the end of the NAR");
      if (this.piece === P.contents) {
        const n = Math.min(this.contentsLeft, chunk.length - pos);
        this.visitor.contents(chunk.subarray(pos, pos + n));
        pos += n;
        this.pieceOffset += n;
        this.contentsLeft -= n;
        if (this.contentsLeft === 0) this.startPadding();
        continue;
      }
      // Gather the piece; copy only when it straddles chunks.
      let bytes: Uint8Array;
      let at: number;
      if (this.filled === 0 && chunk.length - pos >= this.need) {
        bytes = chunk;
        at = pos;
        pos += this.need;
      } else {
        const n = Math.min(this.need - this.filled, chunk.length - pos);
        this.scratch.set(chunk.subarray(pos, pos + n), this.filled);
        this.filled += n;
        pos += n;
        if (this.filled < this.need) break;
        bytes = this.scratch;
        at = 0;
        this.filled = 0;
      }
      const start = this.pieceOffset;
      this.pieceOffset += this.need;
      this.pieceDone(bytes, at, start);
    }
  }

  private pieceDone(bytes: Uint8Array, at: number, start: number): void {
    switch (this.piece) {
      case P.length:
        return this.lengthRead(readU64(bytes, at), start);
      case P.body:
        checkPadding(bytes, at + this.stringLength, this.need - this.stringLength, start + this.stringLength);
        return this.token(bytes.subarray(at, at + this.stringLength));
      case P.padding:
        checkPadding(bytes, at, this.need, start);
        return this.fileDone();
    }
  }

  private lengthRead(length: number, start: number): void {
    if (this.state === S.contentsLength) {
      if (length > Number.MAX_SAFE_INTEGER) this.fail(start, `file size ${length} is too large`);
      this.contentsSize = length;
      this.visitor.file(this.executable, length, start + 8);
      if (length === 0) return this.startPadding();
      this.piece = P.contents;
      this.contentsLeft = length;
      return;
    }
    this.tokenOffset = start;
    const max = maxStringLength(this.state);
    if (length > max) {
      if (this.state === S.name) this.fail(start, `entry name is ${length} bytes long, more than ${MAX_NAME_LENGTH}`);
      if (this.state === S.target) this.fail(start, `symlink target is ${length} bytes long, more than ${MAX_TARGET_LENGTH}`);
      if (this.state === S.executableValue) this.fail(start, "executable marker has a non-empty value");
      if (this.state === S.magic) this.fail(start, `not a NAR: it does not start with ${EXPECTED[S.magic]}`);
      this.fail(start, `expected ${EXPECTED[this.state]}, found a string of ${length} bytes`);
    }
    this.stringLength = length;
    this.piece = P.body;
    this.need = length + paddingLength(length);
    if (this.need === 0) this.token(EMPTY);
  }

  private startPadding(): void {
    this.piece = P.padding;
    this.need = paddingLength(this.contentsSize);
    if (this.need === 0) this.fileDone();
  }

  private fileDone(): void {
    this.visitor.fileEnd();
    this.expectString(S.nodeClose);
  }

  private expectString(state: State): void {
    this.state = state;
    this.piece = P.length;
    this.need = 8;
  }

  /** A whole string token arrived in `this.state`. */
  private token(value: Uint8Array): void {
    const step = KEYWORD_STEPS[this.state];
    if (step) {
      this.expectKeyword(value, step[0]);
      return this.expectString(step[1]);
    }
    switch (this.state) {
      case S.magic:
        if (!equal(value, K.magic)) this.fail(this.tokenOffset, `not a NAR: it does not start with ${EXPECTED[S.magic]}`);
        return this.expectString(S.nodeOpen);
      case S.type:
        if (equal(value, K.regular)) {
          this.executable = false;
          return this.expectString(S.regularTag);
        }
        if (equal(value, K.symlink)) return this.expectString(S.targetTag);
        if (equal(value, K.directory)) {
          this.visitor.directory();
          this.directories.push(undefined);
          return this.expectString(S.directoryTag);
        }
        return this.unexpected(value);
      case S.regularTag:
        if (equal(value, K.executable)) return this.expectString(S.executableValue);
        this.expectKeyword(value, K.contents);
        return this.expectString(S.contentsLength);
      case S.executableValue:
        this.executable = true;
        return this.expectString(S.contentsTag);
      case S.nodeClose:
        this.expectKeyword(value, K.close);
        return this.nodeDone();
      case S.target:
        if (value.length === 0) this.fail(this.tokenOffset, "symlink target is empty");
        if (value.includes(0)) this.fail(this.tokenOffset, `symlink target ${quote(value)} contains a NUL byte`);
        this.visitor.symlink(Buffer.from(value));
        return this.expectString(S.nodeClose);
      case S.directoryTag:
        if (equal(value, K.entry)) return this.expectString(S.entryOpen);
        if (!equal(value, K.close)) return this.unexpected(value);
        this.directories.pop();
        this.visitor.directoryEnd();
        return this.nodeDone();
      case S.name: {
        const name = Buffer.from(value);
        this.checkName(name);
        this.directories[this.directories.length - 1] = name;
        this.visitor.entry(name);
        return this.expectString(S.nodeTag);
      }
      case S.nodeTag:
        this.expectKeyword(value, K.node);
        if (this.directories.length > this.maxDepth) {
          this.fail(this.tokenOffset, `directories are nested more than ${this.maxDepth} deep`);
        }
        return this.expectString(S.nodeOpen);
    }
  }

  /** A node is complete: it closes the entry holding it, or the whole NAR. */
  private nodeDone(): void {
    this.expectString(this.directories.length > 0 ? S.entryClose : S.done);
  }

  private checkName(name: Buffer): void {
    const at = this.tokenOffset;
    if (name.length === 0) this.fail(at, "entry name is empty");
    if (name.equals(K.dot) || name.equals(K.dotdot)) this.fail(at, `entry name ${quote(name)} is not allowed`);
    if (name.includes(0x2f)) this.fail(at, `entry name ${quote(name)} contains '/'`);
    if (name.includes(0)) this.fail(at, `entry name ${quote(name)} contains a NUL byte`);
    const previous = this.directories[this.directories.length - 1];
    if (previous !== undefined) {
      const order = Buffer.compare(previous, name);
      if (order === 0) this.fail(at, `duplicate entry ${quote(name)}`);
      if (order > 0) this.fail(at, `entry ${quote(name)} comes after ${quote(previous)}: entries must be sorted by name`);
    }
  }

  private expectKeyword(value: Uint8Array, expected: Buffer): void {
    if (!equal(value, expected)) this.unexpected(value);
  }

  private unexpected(value: Uint8Array): never {
    this.fail(this.tokenOffset, `expected ${EXPECTED[this.state]}, found ${quote(value)}`);
  }

  private fail(offset: number, reason: string): never {
    throw new NixCompatError(`invalid NAR at offset ${offset}: ${reason}`);
  }
}

const EMPTY = new Uint8Array(0);

/** Reads a whole NAR from `source` into `visitor`; returns the NAR's size. */
export async function readNar(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  visitor: NarVisitor,
  options?: NarReaderOptions,
): Promise<number> {
  const reader = new NarReader(visitor, options);
  for await (const chunk of source) reader.push(chunk);
  reader.end();
  return reader.offset;
}

function readU64(bytes: Uint8Array, at: number): number {
  const low = (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
  const high = (bytes[at + 4] | (bytes[at + 5] << 8) | (bytes[at + 6] << 16) | (bytes[at + 7] << 24)) >>> 0;
  // Exact up to 2^53; beyond that only "too large" matters, and the value stays above the limits.
  return high * 2 ** 32 + low;
}

function checkPadding(bytes: Uint8Array, at: number, count: number, offset: number): void {
  for (let i = 0; i < count; i++) {
    if (bytes[at + i] !== 0) throw new NixCompatError(`invalid NAR at offset ${offset + i}: non-zero padding byte`);
  }
}

function equal(value: Uint8Array, expected: Buffer): boolean {
  if (value.length !== expected.length) return false;
  for (let i = 0; i < value.length; i++) if (value[i] !== expected[i]) return false;
  return true;
}

/** A byte string for an error message: printable ASCII as is, other bytes as \xNN, cut at 64 bytes. */
export function quote(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes.subarray(0, 64)) {
    out += b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `'${out}${bytes.length > 64 ? "…" : ""}'`;
}
