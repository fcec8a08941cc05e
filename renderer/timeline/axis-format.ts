/** Labels for the timeline: axis time in the unit the window calls for, counts in SI steps; the tooltip's precise forms. */

export function formatAxisTime(ns: number): string {
  const a = Math.abs(ns);
  if (a >= 1e9) return `${+(ns / 1e9).toFixed(3)} s`;
  if (a >= 1e6) return `${+(ns / 1e6).toFixed(2)} ms`;
  if (a >= 1e3) return `${+(ns / 1e3).toFixed(2)} µs`;
  return `${+ns.toFixed(0)} ns`;
}

const SI = ['', 'k', 'M', 'G', 'T'];

export function formatAxisCount(n: number): string {
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < SI.length - 1) {
    v /= 1000;
    i++;
  }
  return `${+v.toFixed(2)}${SI[i]}`;
}

/** A time as the hover tooltip gives it: three more digits than the axis. */
export function formatHoverTime(ns: number): string {
  const a = Math.abs(ns);
  if (a >= 1e9) return `${(ns / 1e9).toFixed(6)} s`;
  if (a >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (a >= 1e3) return `${(ns / 1e3).toFixed(3)} µs`;
  return `${ns.toFixed(0)} ns`;
}

/** A count in full, with thousands separators (fractions only where the reading has them). */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
