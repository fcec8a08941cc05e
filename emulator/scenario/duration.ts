/**
 * Simulated times in scenario files and on the command line (`--duration`):
 * a number and a unit, ns, us, ms or s (`2s`, `1500ms`, `0.5s`). A bare number
 * is refused except 0, because `duration: 2` could mean 2 s or 2 ns and the
 * two differ by nine orders of magnitude.
 */

/** Decimal digits between each unit and nanoseconds. */
const UNIT_DIGITS = { ns: 0, us: 3, ms: 6, s: 9 } as const;
type Unit = keyof typeof UNIT_DIGITS;

export const DURATION_UNITS = Object.keys(UNIT_DIGITS) as Unit[];

/**
 * Nanoseconds, or undefined when `text` is not a duration, is negative, is
 * not a whole number of nanoseconds or does not fit an exact integer.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+)(?:\.(\d+))?\s*(ns|us|ms|s)?\s*$/.exec(text);
  if (!match) return undefined;
  const [, whole, fraction = '', unit] = match;
  if (unit === undefined) return /^0+$/.test(whole + fraction) ? 0 : undefined;
  // Shift the decimal point in the text instead of multiplying floats:
  // 0.3s is exactly 300000000 ns, whereas 0.3 * 1e9 is not.
  const digits = UNIT_DIGITS[unit as Unit];
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > digits) return undefined;
  const ns = Number(whole + significant.padEnd(digits, '0'));
  return Number.isSafeInteger(ns) ? ns : undefined;
}

/** The largest unit that keeps the value whole: 2000000000 → `2s`, 1500000 → `1500us`. */
export function formatDuration(ns: number): string {
  for (const unit of ['s', 'ms', 'us'] as const) {
    const scale = 10 ** UNIT_DIGITS[unit];
    if (ns !== 0 && ns % scale === 0) return `${ns / scale}${unit}`;
  }
  return `${ns}ns`;
}
