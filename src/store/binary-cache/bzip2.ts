// bzip2 decompression, for NAR files of old binary caches (Nix's default compression before xz;
// narinfo without `Compression:` means bzip2). Streams of concatenated bzip2 streams (pbzip2)
// are read too. Every block's CRC and each stream's combined CRC are checked. Input is
// buffered one block at a time (a compressed block is at most about 1% larger than its ≤ 900 kB
// of data), so memory stays bounded however large the file.
import { CastoreError } from "../../castore/errors.ts";

const BLOCK_MAGIC_HIGH = 0x314159;
const BLOCK_MAGIC_LOW = 0x265359;
const END_MAGIC_HIGH = 0x177245;
const END_MAGIC_LOW = 0x385090;
/** Input kept ahead of the decoder: more than the largest compressed block. */
const LOOKAHEAD = 1200 * 1024;
const MAX_GROUPS = 6;
const MAX_CODE_LENGTH = 20;
const GROUP_SIZE = 50;

class Bzip2Error extends CastoreError {
  constructor(message: string) {
    super("data-loss", `corrupt bzip2 data: ${message}`);
  }
}

/** CRC-32 as bzip2 computes it: polynomial 0x04c11db7, most significant bit first. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** Reads bits, most significant first, from a buffer that is topped up between blocks. */
class BitReader {
  private buffer = Buffer.alloc(0);
  /** The next byte of `buffer` to load into `bits`. */
  private next = 0;
  /** Loaded bits not read yet: the low `count` bits of `held`. */
  private held = 0;
  private count = 0;
  ended = false;

  /** Drops consumed bytes and appends `chunk`. */
  append(chunk: Uint8Array): void {
    this.buffer = Buffer.concat([this.buffer.subarray(this.next), chunk]);
    this.next = 0;
  }

  get availableBits(): number {
    return (this.buffer.length - this.next) * 8 + this.count;
  }

  /** `n` bits (at most 24) as a number. */
  bits(n: number): number {
    while (this.count < n) {
      if (this.next >= this.buffer.length) throw new Bzip2Error("the data ends in the middle of a block");
      this.held = ((this.held << 8) | this.buffer[this.next++]) & 0x7fffffff;
      this.count += 8;
    }
    this.count -= n;
    return (this.held >>> this.count) & ((1 << n) - 1);
  }

  bit(): number {
    return this.bits(1);
  }

  u32(): number {
    return this.bits(16) * 0x10000 + this.bits(16);
  }

  alignToByte(): void {
    this.count -= this.count & 7;
  }
}

/** A canonical Huffman code, decoded by code length (at most 20 bits). */
class HuffmanTable {
  private readonly limit = new Int32Array(MAX_CODE_LENGTH + 2);
  private readonly base = new Int32Array(MAX_CODE_LENGTH + 2);
  private readonly symbols: Uint16Array;
  private readonly minLength: number;

  constructor(lengths: Uint8Array) {
    this.symbols = new Uint16Array(lengths.length);
    let min = MAX_CODE_LENGTH;
    let max = 0;
    for (const length of lengths) {
      min = Math.min(min, length);
      max = Math.max(max, length);
    }
    this.minLength = min;
    let next = 0;
    for (let length = min; length <= max; length++) for (let s = 0; s < lengths.length; s++) if (lengths[s] === length) this.symbols[next++] = s;
    let code = 0;
    let index = 0;
    for (let length = 1; length <= MAX_CODE_LENGTH; length++) {
      const count = lengths.reduce((n, l) => n + (l === length ? 1 : 0), 0);
      // Codes of this length are code … code+count-1; symbol index = code - base.
      this.base[length] = code - index;
      code += count;
      index += count;
      this.limit[length] = code - 1;
      code <<= 1;
    }
  }

  decode(reader: BitReader): number {
    let length = this.minLength;
    let code = reader.bits(length);
    while (code > this.limit[length]) {
      if (++length > MAX_CODE_LENGTH) throw new Bzip2Error("invalid Huffman code");
      code = code * 2 + reader.bit();
    }
    const index = code - this.base[length];
    if (index < 0 || index >= this.symbols.length) throw new Bzip2Error("invalid Huffman code");
    return this.symbols[index];
  }
}

/** Decodes one block after its magic: its bytes (run-length decoded) and its CRC, checked. */
function decodeBlock(reader: BitReader, maxBlockSize: number): { data: Buffer; crc: number } {
  const expectedCrc = reader.u32();
  if (reader.bit()) throw new Bzip2Error("randomised blocks (bzip2 0.9.0) are not supported");
  const origin = reader.bits(24);

  const used: number[] = [];
  const ranges = reader.bits(16);
  for (let i = 0; i < 16; i++) {
    if (!(ranges & (0x8000 >>> i))) continue;
    const bits = reader.bits(16);
    for (let j = 0; j < 16; j++) if (bits & (0x8000 >>> j)) used.push(i * 16 + j);
  }
  if (used.length === 0) throw new Bzip2Error("a block uses no byte values");
  const alphabetSize = used.length + 2;

  const groupCount = reader.bits(3);
  if (groupCount < 2 || groupCount > MAX_GROUPS) throw new Bzip2Error(`${groupCount} Huffman groups`);
  const selectorCount = reader.bits(15);
  if (selectorCount === 0) throw new Bzip2Error("no selectors");
  const groupOrder = Array.from({ length: groupCount }, (_, i) => i);
  const selectors = new Uint8Array(selectorCount);
  for (let i = 0; i < selectorCount; i++) {
    let j = 0;
    while (reader.bit()) if (++j >= groupCount) throw new Bzip2Error("invalid selector");
    const group = groupOrder[j];
    groupOrder.splice(j, 1);
    groupOrder.unshift(group);
    selectors[i] = group;
  }

  const tables: HuffmanTable[] = [];
  for (let t = 0; t < groupCount; t++) {
    const lengths = new Uint8Array(alphabetSize);
    let length = reader.bits(5);
    for (let s = 0; s < alphabetSize; s++) {
      for (;;) {
        if (length < 1 || length > MAX_CODE_LENGTH) throw new Bzip2Error("invalid Huffman code length");
        if (!reader.bit()) break;
        length += reader.bit() ? -1 : 1;
      }
      lengths[s] = length;
    }
    tables.push(new HuffmanTable(lengths));
  }

  // Huffman → move-to-front and RUNA/RUNB runs → the BWT of the block, with byte counts.
  const mtf = Uint8Array.from(used.keys());
  const counts = new Int32Array(256);
  const tt = new Uint32Array(maxBlockSize);
  let length = 0;
  let run = 0;
  let runWeight = 1;
  const endOfBlock = alphabetSize - 1;
  for (let group = 0, left = 0, table = tables[0]; ; left--) {
    if (left === 0) {
      if (group >= selectorCount) throw new Bzip2Error("more symbols than selectors");
      table = tables[selectors[group++]];
      left = GROUP_SIZE;
    }
    const symbol = table.decode(reader);
    if (symbol <= 1) {
      run += runWeight << symbol;
      runWeight <<= 1;
      if (run > maxBlockSize) throw new Bzip2Error("a run exceeds the block size");
      continue;
    }
    if (run > 0) {
      if (length + run > maxBlockSize) throw new Bzip2Error("a block exceeds its size");
      const byte = used[mtf[0]];
      counts[byte] += run;
      tt.fill(byte, length, length + run);
      length += run;
      run = 0;
      runWeight = 1;
    }
    if (symbol === endOfBlock) break;
    if (length >= maxBlockSize) throw new Bzip2Error("a block exceeds its size");
    const index = symbol - 1;
    const value = mtf[index];
    mtf.copyWithin(1, 0, index);
    mtf[0] = value;
    const byte = used[value];
    counts[byte]++;
    tt[length++] = byte;
  }
  if (origin >= length) throw new Bzip2Error("the block's origin pointer is outside the block");

  // Inverse BWT: each entry keeps its byte in the low 8 bits and the next position above them.
  const starts = new Int32Array(256);
  for (let b = 0, sum = 0; b < 256; b++) {
    starts[b] = sum;
    sum += counts[b];
  }
  for (let i = 0; i < length; i++) tt[starts[tt[i] & 0xff]++] |= i << 8;

  // Undo the initial run-length encoding (four equal bytes, then a count of more) while walking.
  let out = Buffer.allocUnsafe(length + (length >>> 2) + 16);
  let size = 0;
  let crc = 0xffffffff;
  const emit = (byte: number): void => {
    if (size === out.length) out = Buffer.concat([out, Buffer.allocUnsafe(out.length)]);
    out[size++] = byte;
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]) >>> 0;
  };
  let position = tt[origin] >>> 8;
  let previous = -1;
  let same = 0;
  for (let i = 0; i < length; i++) {
    const entry = tt[position];
    const byte = entry & 0xff;
    position = entry >>> 8;
    if (same === 4) {
      for (let k = 0; k < byte; k++) emit(previous);
      same = 0;
      previous = -1;
      continue;
    }
    if (byte === previous) same++;
    else {
      previous = byte;
      same = 1;
    }
    emit(byte);
  }
  if (~crc >>> 0 !== expectedCrc) throw new Bzip2Error("block CRC mismatch");
  return { data: out.subarray(0, size), crc: expectedCrc };
}

/** Decompresses a bzip2 stream (or several, concatenated). */
export async function* bunzip2(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = new BitReader();
  const iterator = source[Symbol.asyncIterator]();
  const fill = async (): Promise<void> => {
    const chunks: Uint8Array[] = [];
    let bits = reader.availableBits;
    while (!reader.ended && bits < LOOKAHEAD * 8) {
      const next = await iterator.next();
      if (next.done) reader.ended = true;
      else {
        chunks.push(next.value);
        bits += next.value.length * 8;
      }
    }
    if (chunks.length > 0) reader.append(Buffer.concat(chunks));
  };
  try {
    for (let streams = 0; ; streams++) {
      await fill();
      if (reader.availableBits === 0 && streams > 0) return;
      if (reader.availableBits < 32 || reader.bits(24) !== 0x425a68 /* BZh */) throw new Bzip2Error("no bzip2 stream header ('BZh')");
      const level = reader.bits(8) - 0x30;
      if (level < 1 || level > 9) throw new Bzip2Error(`invalid block size level ${level}`);
      let combined = 0;
      for (;;) {
        await fill();
        const high = reader.bits(24);
        const low = reader.bits(24);
        if (high === END_MAGIC_HIGH && low === END_MAGIC_LOW) {
          if (reader.u32() !== combined) throw new Bzip2Error("stream CRC mismatch");
          reader.alignToByte();
          break;
        }
        if (high !== BLOCK_MAGIC_HIGH || low !== BLOCK_MAGIC_LOW) throw new Bzip2Error("no block header where one was expected");
        const block = decodeBlock(reader, level * 100_000);
        combined = (((combined << 1) | (combined >>> 31)) ^ block.crc) >>> 0;
        yield block.data;
      }
    }
  } finally {
    await iterator.return?.();
  }
}
