/**
 * The few printf conversions perf stat's output is made of, rendered as glibc
 * renders them, so the emulator's columns match perf's to the character.
 *
 * Number.prototype.toFixed is not enough: on an exact tie (0.125 to two places,
 * 2.5 to none) it rounds up, where glibc rounds to even; it also switches to
 * exponent notation from 1e21. Intl/toLocaleString differ between runtimes, so
 * the `%'` thousands grouping is done by hand too.
 */

const scratch = new DataView(new ArrayBuffer(8));

/** A finite non-negative double as mantissa × 2^exponent, exactly. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  scratch.setFloat64(0, x);
  const hi = scratch.getUint32(0);
  const lo = scratch.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { mantissa: fraction, exponent: -1074 };
  return { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

/**
 * printf("%.*f", precision, x): the exact binary value rounded to the nearest
 * multiple of 10^-precision, ties to even, as glibc does in the default
 * rounding mode.
 */
export function formatFixed(x: number, precision: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const { mantissa, exponent } = decompose(Math.abs(x));
  const scale = 10n ** BigInt(precision);
  let units: bigint;
  if (exponent >= 0) {
    units = (mantissa << BigInt(exponent)) * scale;
  } else {
    const numerator = mantissa * scale;
    const denominator = 1n << BigInt(-exponent);
    units = numerator / denominator;
    const twiceRemainder = (numerator % denominator) * 2n;
    if (twiceRemainder > denominator || (twiceRemainder === denominator && (units & 1n) === 1n)) units += 1n;
  }
  const digits = units.toString().padStart(precision + 1, '0');
  const whole = digits.slice(0, digits.length - precision);
  return precision === 0 ? sign + whole : `${sign}${whole}.${digits.slice(digits.length - precision)}`;
}

/**
 * The `'` flag: perf calls setlocale(LC_ALL, "") and its counts column uses
 * `%'`, which in an en_US LC_NUMERIC (thousands_sep ",", grouping 3;3) puts a
 * comma between each group of three integer digits.
 */
export function groupThousands(fixed: string): string {
  const match = /^(-?)(\d+)(.*)$/.exec(fixed);
  if (!match) return fixed;
  const [, sign, whole, rest] = match;
  return sign + whole.replace(/\B(?=(\d{3})+$)/g, ',') + rest;
}

/** PRIu64 of a count or a time kept in a double. */
export function formatU64(x: number): string {
  return BigInt(Math.trunc(x)).toString();
}
