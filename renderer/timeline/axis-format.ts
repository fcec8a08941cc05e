/** Axis labels for the timeline: time in the unit the window calls for, counts in SI steps. */

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
