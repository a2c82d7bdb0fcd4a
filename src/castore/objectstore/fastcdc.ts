// FastCDC content-defined chunking, the 2020 variant ("rolling two bytes each time") with level-1
// chunk-size normalisation, cut point for cut point as the `fastcdc` crate's v2020 module that
// Tvix's object-store blob service uses: the same bytes give the same chunks in both.
//
// The gear hash is 64 bits; JS has no cheap 64-bit integers, so it runs as two 32-bit halves.
import { createHash } from "node:crypto";
import { CastoreError } from "../errors.ts";

export interface ChunkSizes {
  min: number;
  avg: number;
  max: number;
}

// The sizes the crate accepts.
const LIMITS = { min: [64, 1 << 20], avg: [256, 1 << 22], max: [1024, 1 << 24] } as const;

// Cut masks by number of bits (index 6 = 64 B … 24 = 16 MiB; 5 and 25 only for normalisation
// level 3), from the FastCDC reference implementation: the bits are spread out, which the paper
// found to deduplicate slightly better.
const MASKS: readonly bigint[] = [
  0n, 0n, 0n, 0n, 0n,
  0x0000000001804110n, 0x0000000001803110n, 0x0000000018035100n, 0x0000001800035300n,
  0x0000019000353000n, 0x0000590003530000n, 0x0000d90003530000n, 0x0000d90103530000n,
  0x0000d90303530000n, 0x0000d90313530000n, 0x0000d90f03530000n, 0x0000d90303537000n,
  0x0000d90703537000n, 0x0000d90707537000n, 0x0000d91707537000n, 0x0000d91747537000n,
  0x0000d91767537000n, 0x0000d93767537000n, 0x0000d93777537000n, 0x0000d93777577000n,
  0x0000db3777577000n,
];

const MASK64 = (1n << 64n) - 1n;

/** A 64-bit value as [high, low] 32-bit halves. */
function halves(value: bigint): [number, number] {
  return [Number((value >> 32n) & 0xffffffffn), Number(value & 0xffffffffn)];
}

// The gear table: for each byte value i, the first 8 bytes (big-endian) of MD5 of 64 bytes of
// value i, as the reference implementation generates it; GEAR_LS is the same shifted left by one
// bit, for the even bytes of each two-byte step.
const GEAR_HI = new Uint32Array(256);
const GEAR_LO = new Uint32Array(256);
const GEAR_LS_HI = new Uint32Array(256);
const GEAR_LS_LO = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  const gear = createHash("md5").update(Buffer.alloc(64, i)).digest().readBigUInt64BE(0);
  [GEAR_HI[i], GEAR_LO[i]] = halves(gear);
  [GEAR_LS_HI[i], GEAR_LS_LO[i]] = halves((gear << 1n) & MASK64);
}

const TWO_32 = 0x1_0000_0000;

export class FastCdc {
  readonly sizes: ChunkSizes;
  // Masks for before the average size (harder to match: small chunks are rarer) and after it.
  private readonly maskSHi: number;
  private readonly maskSLo: number;
  private readonly maskLHi: number;
  private readonly maskLLo: number;
  private readonly maskSLsHi: number;
  private readonly maskSLsLo: number;
  private readonly maskLLsHi: number;
  private readonly maskLLsLo: number;
  /** The gear hash at the last cut point, as the crate reports it (for comparing with it). */
  lastHash = 0n;

  constructor(sizes: ChunkSizes) {
    for (const key of ["min", "avg", "max"] as const) {
      const [low, high] = LIMITS[key];
      if (!Number.isInteger(sizes[key]) || sizes[key] < low || sizes[key] > high) {
        throw new CastoreError("invalid-argument", `FastCDC ${key} chunk size ${sizes[key]} is outside ${low}…${high}`);
      }
    }
    this.sizes = { ...sizes };
    const bits = Math.round(Math.log2(sizes.avg));
    const small = MASKS[bits + 1];
    const large = MASKS[bits - 1];
    [this.maskSHi, this.maskSLo] = halves(small);
    [this.maskLHi, this.maskLLo] = halves(large);
    [this.maskSLsHi, this.maskSLsLo] = halves(small << 1n);
    [this.maskLLsHi, this.maskLLsLo] = halves(large << 1n);
  }

  /**
   * The length of the chunk that starts `data`. `data` must hold at least `max` bytes unless it
   * is the rest of the input: the cut point depends only on the first `max` bytes.
   */
  cut(data: Uint8Array): number {
    const { min, avg, max } = this.sizes;
    let remaining = data.length;
    if (remaining <= min) {
      this.lastHash = 0n;
      return remaining;
    }
    let center = avg;
    if (remaining > max) remaining = max;
    else if (remaining < center) center = remaining;
    let hi = 0;
    let lo = 0;
    let index = min >>> 1;
    let cut = -1;
    for (let phase = 0; phase < 2 && cut < 0; phase++) {
      const end = (phase === 0 ? center : remaining) >>> 1;
      const [mHi, mLo, mLsHi, mLsLo] =
        phase === 0 ? [this.maskSHi, this.maskSLo, this.maskSLsHi, this.maskSLsLo] : [this.maskLHi, this.maskLLo, this.maskLLsHi, this.maskLLsLo];
      for (; index < end; index++) {
        const a = index << 1;
        // hash = (hash << 2) + GEAR_LS[data[a]]
        let x = data[a];
        let sum = ((lo << 2) >>> 0) + GEAR_LS_LO[x];
        hi = (((hi << 2) | (lo >>> 30)) + GEAR_LS_HI[x] + (sum >= TWO_32 ? 1 : 0)) >>> 0;
        lo = sum >>> 0;
        if ((hi & mLsHi) === 0 && (lo & mLsLo) === 0) {
          cut = a;
          break;
        }
        // hash = hash + GEAR[data[a + 1]]
        x = data[a + 1];
        sum = lo + GEAR_LO[x];
        hi = (hi + GEAR_HI[x] + (sum >= TWO_32 ? 1 : 0)) >>> 0;
        lo = sum >>> 0;
        if ((hi & mHi) === 0 && (lo & mLo) === 0) {
          cut = a + 1;
          break;
        }
      }
    }
    this.lastHash = (BigInt(hi) << 32n) | BigInt(lo);
    return cut < 0 ? remaining : cut;
  }
}
