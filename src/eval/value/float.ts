// Nix floats are IEEE doubles, boxed so that they stay distinct from integers (JS numbers
// are Nix ints): `typeOf 1.0 == "float"`, and `1.0` prints as `1`. Floats are rare in real
// code, so the box costs nothing that matters.
//
// Nix 2.8 writes floats with C++ streams (`%g`, 6 significant digits) when printing values,
// JSON and XML, and with std::to_string (`%f`) in `toString` and string interpolation. Both
// round the exact binary value half-to-even, which JS's toPrecision/toFixed do not (they
// round ties up), so the digits are computed exactly here.

export class NixFloat {
  readonly value: number;

  constructor(value: number) {
    this.value = value;
  }
}

/** Digits of |x| exactly: |x| = digits × 10^exponent (digits without leading zeros). */
function exactDecimal(x: number): { digits: string; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exp2 = biased - 1075;
  if (biased === 0) exp2 = -1074;
  else mantissa |= 1n << 52n;
  if (exp2 >= 0) return { digits: (mantissa << BigInt(exp2)).toString(), exponent: 0 };
  // m / 2^k = m·5^k / 10^k
  return { digits: (mantissa * 5n ** BigInt(-exp2)).toString(), exponent: exp2 };
}

/** Rounds an exact decimal to keep `keep` leading digits (keep may be ≤ 0), half to even. */
function roundDigits(digits: string, keep: number): { digits: string; carried: boolean } {
  if (keep >= digits.length) return { digits, carried: false };
  if (keep < 0) return { digits: "", carried: false };
  const kept = keep === 0 ? 0n : BigInt(digits.slice(0, keep));
  const rest = digits.slice(keep);
  const half = rest[0] > "5" || (rest[0] === "5" && (/[1-9]/.test(rest.slice(1)) || kept % 2n === 1n));
  const rounded = (half ? kept + 1n : kept).toString();
  const carried = rounded.length > keep && rounded !== "0";
  return { digits: keep === 0 && !half ? "" : rounded, carried };
}

function special(x: number): string | undefined {
  if (Number.isNaN(x)) {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    return view.getUint8(0) & 0x80 ? "-nan" : "nan";
  }
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return undefined;
}

function sign(x: number): string {
  return x < 0 || Object.is(x, -0) ? "-" : "";
}

/** C's `%f` (std::to_string): fixed notation with 6 decimals. */
export function formatFloatFixed(x: number): string {
  const s = special(x);
  if (s !== undefined) return s;
  const decimals = 6;
  const { digits, exponent } = exactDecimal(x);
  // The value in units of 10^-decimals, rounded.
  const keep = digits.length + exponent + decimals;
  let kept = roundDigits(digits, keep).digits + "0".repeat(Math.max(0, keep - digits.length));
  if (kept === "") kept = "0";
  const padded = kept.padStart(decimals + 1, "0");
  return `${sign(x)}${padded.slice(0, -decimals)}.${padded.slice(-decimals)}`;
}

/** C++ `ostream << double` with default settings, i.e. C's `%g` with precision 6. */
export function formatFloatG(x: number): string {
  const s = special(x);
  if (s !== undefined) return s;
  const precision = 6;
  if (x === 0) return `${sign(x)}0`;
  const exact = exactDecimal(x);
  const rounded = roundDigits(exact.digits, precision);
  // Decimal exponent of the leading digit after rounding.
  let e10 = exact.digits.length - 1 + exact.exponent;
  if (rounded.carried) e10 += 1;
  const mantissa = rounded.digits.slice(0, precision).padEnd(precision, "0");
  let text: string;
  if (e10 < -4 || e10 >= precision) {
    const frac = mantissa.slice(1).replace(/0+$/, "");
    const expText = `${e10 < 0 ? "-" : "+"}${String(Math.abs(e10)).padStart(2, "0")}`;
    text = `${mantissa[0]}${frac ? `.${frac}` : ""}e${expText}`;
  } else if (e10 >= 0) {
    const intPart = mantissa.slice(0, e10 + 1);
    const frac = mantissa.slice(e10 + 1).replace(/0+$/, "");
    text = frac ? `${intPart}.${frac}` : intPart;
  } else {
    const frac = ("0".repeat(-e10 - 1) + mantissa).replace(/0+$/, "");
    text = `0.${frac}`;
  }
  return sign(x) + text;
}
