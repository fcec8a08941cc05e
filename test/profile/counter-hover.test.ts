/**
 * The timeline's hover lookup: the pixel column under the pointer cut as
 * decimation cuts it, what one series holds there (min–max of its points, or
 * the reading covering the time), the running share the band draws there,
 * and the markers overlapping a short window found without a scan.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  columnAt,
  decimate,
  decimationSource,
  lowerBound,
  MarkerIndex,
  readColumn,
  runningShareColumns,
} from '../../profile/counter-series';
import { MarkerKind, type MarkerTable } from '../../profile/model';

/** Min and max of the raw points in [from, to) (to included for the last column), by a scan. */
function scan(time: Float64Array, values: Float64Array, from: number, to: number, last: boolean) {
  let min = Infinity;
  let max = -Infinity;
  let points = 0;
  for (let i = 0; i < time.length; i++) {
    if (time[i] < from || (last ? time[i] > to : time[i] >= to)) continue;
    points++;
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
  }
  return { points, min, max };
}

describe('the column under the pointer', () => {
  const n = 50_000;
  const time = Float64Array.from({ length: n }, (_, i) => 1_000 + i * 10 + (i % 3));
  const values = Float64Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) + (i % 5000 === 17 ? 50_000 : 0));
  const running = Float64Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 0.5 + (i % 7) / 20 : 1));
  const src = decimationSource(time, values);
  const run = decimationSource(time, running);
  const end = time[n - 1];

  it('holds the min and max of exactly the raw points in it, for any window, width and time', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: end - 2_000, noNaN: true }),
        fc.double({ min: 1_000, max: end, noNaN: true }),
        fc.integer({ min: 16, max: 2_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (t0, width, columns, at) => {
          const t1 = Math.min(end + 500, t0 + width);
          const t = t0 + at * (t1 - t0);
          const col = columnAt(t0, t1, columns, t);
          expect(col.from).toBeLessThanOrEqual(t);
          expect(t).toBeLessThanOrEqual(col.to);
          const got = readColumn(src, run, t0, t1, col, t);
          const want = scan(time, values, col.from, col.last ? t1 : col.to, col.last);
          if (want.points > 0) {
            expect(got).toMatchObject(want);
          } else if (lowerBound(time, t) < n) {
            // Between two readings: the one after t covers it.
            expect(got).toMatchObject({ points: 0, min: values[lowerBound(time, t)], max: values[lowerBound(time, t)] });
          } else {
            expect(got).toBeNull();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with what decimation draws in that column', () => {
    const t0 = 123_456;
    const t1 = 400_000;
    const columns = 700;
    const drawn = decimate(src, t0, t1, columns);
    for (const c of [0, 1, 350, 698, 699]) {
      const col = columnAt(t0, t1, columns, t0 + (c + 0.5) * ((t1 - t0) / columns));
      expect(col.index).toBe(c);
      const got = readColumn(src, run, t0, t1, col, t0)!;
      // Decimation draws a column's min and max at its middle.
      const ys = Array.from(drawn.y).filter((_, k) => drawn.x[k] > col.from && drawn.x[k] < col.to);
      expect([got.min, got.max]).toEqual([Math.min(...ys), Math.max(...ys)]);
    }
  });

  it('gives the running share the band draws in that column', () => {
    const t0 = 5_000;
    const t1 = 300_000;
    const columns = 900;
    const band = runningShareColumns(run, t0, t1, columns);
    let multiplexed = 0;
    for (let c = 0; c < columns; c += 7) {
      const col = columnAt(t0, t1, columns, t0 + (c + 0.5) * ((t1 - t0) / columns));
      const got = readColumn(src, run, t0, t1, col, t0 + (c + 0.5) * ((t1 - t0) / columns))!;
      expect(got.running).toBe(band[c]);
      if (got.running < 1) multiplexed++;
    }
    expect(multiplexed).toBeGreaterThan(5);
  });

  it('zoomed in between two readings gives the value of the one that covers the time', () => {
    // Readings at 1000 (value 0) and 1011 (value 7919 % 1000 = 919): a 1 ns column at 1005.
    const col = columnAt(1_000.5, 1_010.5, 10, 1_005.2);
    expect(col).toMatchObject({ index: 4, from: 1_004.5, to: 1_005.5 });
    expect(readColumn(src, run, 1_000.5, 1_010.5, col, 1_005.2)).toMatchObject({ points: 0, min: 919, max: 919 });
    expect(readColumn(src, run, end + 10, end + 20, columnAt(end + 10, end + 20, 10, end + 15), end + 15)).toBeNull();
  });
});

function markerTable(rows: { start: number; end: number; kind: number; cpu: number }[]): MarkerTable {
  return {
    length: rows.length,
    name: Int32Array.from(rows, () => 0),
    kind: Uint8Array.from(rows, (r) => r.kind),
    start: Float64Array.from(rows, (r) => r.start),
    end: Float64Array.from(rows, (r) => r.end),
    machine: Int32Array.from(rows, () => 0),
    cpu: Int32Array.from(rows, (r) => r.cpu),
    vcpu: Int32Array.from(rows, () => -1),
    data: Int32Array.from(rows, () => -1),
  };
}

describe('markers under the pointer', () => {
  const row = fc.record({
    start: fc.integer({ min: 0, max: 100_000 }),
    length: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 60_000 })),
    kind: fc.integer({ min: 0, max: 6 }),
    cpu: fc.integer({ min: -1, max: 3 }),
  });

  it('finds exactly the rows a scan finds overlapping the window, in start order, up to the limit', () => {
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 600 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: -1, max: 3 }),
        fc.integer({ min: 1, max: 10 }),
        (raw, at, slop, cpu, limit) => {
          const m = markerTable(raw.map((r) => ({ start: r.start, end: r.start + r.length, kind: r.kind, cpu: r.cpu })));
          const accept = (i: number) => m.kind[i] !== MarkerKind.VmExit && (cpu < 0 || m.cpu[i] < 0 || m.cpu[i] === cpu);
          const want: number[] = [];
          for (let i = 0; i < m.length; i++) if (m.start[i] <= at + slop && m.end[i] >= at - slop && accept(i)) want.push(i);
          want.sort((a, b) => m.start[a] - m.start[b] || a - b);
          expect(new MarkerIndex(m).overlapping(at - slop, at + slop, accept, limit)).toEqual(want.slice(0, limit));
        },
      ),
      { numRuns: 300 },
    );
  });
});
