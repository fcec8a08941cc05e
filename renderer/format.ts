/** Number formatting for the window. Fixed locale, so screenshots and e2e assertions are stable. */
import type { ProfileMeta } from '../profile/model';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export function formatCount(n: number): string {
  return integer.format(n);
}

/** A weight with its unit: "1,234 samples", "5,000,000 events", "1.25 ms". */
export function formatWeight(value: number, unit: ProfileMeta['weightUnit']): string {
  if (unit === 'ns') {
    if (value >= 1e9) return `${decimal.format(value / 1e9)} s`;
    if (value >= 1e6) return `${decimal.format(value / 1e6)} ms`;
    if (value >= 1e3) return `${decimal.format(value / 1e3)} µs`;
    return `${decimal.format(value)} ns`;
  }
  const n = Number.isInteger(value) ? integer.format(value) : decimal.format(value);
  return `${n} ${unit === 'events' ? 'events' : value === 1 ? 'sample' : 'samples'}`;
}

export function formatPercent(part: number, whole: number): string {
  if (!(whole > 0)) return '0%';
  const p = (part / whole) * 100;
  return `${p >= 10 || p === 0 ? p.toFixed(1) : p.toFixed(2)}%`;
}
