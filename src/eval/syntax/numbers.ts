// Number literals as Nix 2.8's lexer reads them: integers with boost::lexical_cast<int64_t>
// (anything beyond 64 bits is "invalid integer"), floats with C's strtod, which Nix rejects
// ("invalid float") whenever strtod sets ERANGE: on overflow, and on underflow, i.e. when the
// result is subnormal or zero but not exactly the written value.
import type { NixInt } from "../value/int.ts";

const INT64_MAX = 2n ** 63n - 1n;
const SMALLEST_NORMAL = 2 ** -1022;

/** The value of a decimal digit string, or undefined when it does not fit in an int64. */
export function parseIntLiteral(digits: string): NixInt | undefined {
  // Up to 15 digits is always a safe integer; leading zeros are allowed.
  if (digits.length <= 15) return Number(digits);
  const big = BigInt(digits);
  if (big > INT64_MAX) return undefined;
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** The value of a float literal, or undefined when strtod would report ERANGE. */
export function parseFloatLiteral(text: string): number | undefined {
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  if (Math.abs(value) >= SMALLEST_NORMAL) return value;
  return isExact(text, value) ? value : undefined;
}

/** Whether the decimal `text` denotes exactly the double `value` (0 or subnormal here). */
function isExact(text: string, value: number): boolean {
  const { mantissa, exponent10 } = decimal(text);
  if (value === 0) return mantissa === 0n;
  // value = m · 2^-1074 for a subnormal; compare mantissa · 10^e · 2^1074 with m exactly.
  const m = BigInt(Math.round(Math.abs(value) / 2 ** -1074));
  const left = mantissa * 2n ** 1074n;
  return exponent10 >= 0 ? left * 10n ** BigInt(exponent10) === m : left === m * 10n ** BigInt(-exponent10);
}

/** A float literal (digits, one dot, optional exponent) as mantissa · 10^exponent10. */
function decimal(text: string): { mantissa: bigint; exponent10: number } {
  const e = text.search(/[eE]/);
  const body = e < 0 ? text : text.slice(0, e);
  const dot = body.indexOf(".");
  const digits = body.slice(0, dot) + body.slice(dot + 1);
  const fractionDigits = body.length - dot - 1;
  const exponent = e < 0 ? 0 : Number(text.slice(e + 1));
  return { mantissa: BigInt(digits === "" ? "0" : digits), exponent10: exponent - fractionDigits };
}
