/**
 * The timeline's projection of counter tracks: groups per event with each
 * series' side of the host/guest split, min/max decimation per pixel column
 * that keeps dips and spikes, and markers in a window.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePerfCommand, type RecordOptions } from '../../emulator/perf-tool/cmdline';
import { loadBuiltinScenario } from '../../emulator/scenario/builtins';
import { runRecord } from '../../emulator/session';
import {
  baseEventName,
  countedCpus,
  decimate,
  decimationSource,
  groupCounters,
  markersIn,
  RangeMinMax,
  runningShareColumns,
  timelineExtent,
} from '../../profile/counter-series';
import { MarkerKind } from '../../profile/model';

describe('grouping a recorded trace’s tracks per event', () => {
  const scenario = loadBuiltinScenario('default')!.scenario;
  scenario.duration = 300e6;
  const options = parsePerfCommand(['record', '-a', '-e', 'cycles:H,cycles:G,instructions', '-c', '1000000']) as RecordOptions;
  const p = runRecord(scenario, options, '').profile;

  it('puts host-only, guest-only, both and truth series of one event together, truth last', () => {
    const groups = groupCounters(p);
    expect(groups.slice(0, 2).map((g) => g.event)).toEqual(['cycles', 'instructions']);
    // The other hardware events have only the emulator's truth.
    for (const g of groups.slice(2)) expect(g.series.every((s) => s.kind === 'truth')).toBe(true);
    const cycles = groups[0];
    expect(cycles.series.map((s) => [s.kind, s.label])).toEqual([
      ['host', 'cycles:H host-only'],
      ['guest', 'cycles:G guest-only (all guests)'],
      ['truth', 'cycles (truth)'],
      ['truth', 'cycles (truth, guests)'],
    ]);
    expect(groups[1].series[0]).toMatchObject({ kind: 'both', label: 'instructions host+guest' });
    expect(cycles.missing).toEqual([]);
  });

  it('has the same groups per CPU, and lists the CPUs with their own tracks', () => {
    expect(countedCpus(p)).toEqual([0, 1, 2, 3]);
    const cpu2 = groupCounters(p, 2)[0];
    expect(cpu2.series.every((s) => s.cpu === 2)).toBe(true);
    expect(cpu2.series.map((s) => s.kind)).toEqual(['host', 'guest', 'truth', 'truth']);
  });

  it('spans the recording and finds the guest runs on a CPU inside a window', () => {
    const ext = timelineExtent(p)!;
    expect(ext.end).toBeCloseTo(300e6, -3);
    const runs = markersIn(p.markers, [MarkerKind.GuestRun], 100e6, 200e6, 2);
    expect(runs.length).toBeGreaterThan(0);
    for (const i of runs) {
      expect(p.markers.cpu[i]).toBe(2);
      expect(p.markers.end[i]).toBeGreaterThanOrEqual(100e6);
      expect(p.markers.start[i]).toBeLessThanOrEqual(200e6);
    }
    expect(markersIn(p.markers, [MarkerKind.GuestRun], 100e6, 200e6, 0)).toEqual([]);
  });
});

describe('names', () => {
  it('strips modifiers and the truth suffix, and leaves other names alone', () => {
    expect(baseEventName('cycles:G')).toBe('cycles');
    expect(baseEventName('cycles:uppH')).toBe('cycles');
    expect(baseEventName('cycles (truth, guests)')).toBe('cycles');
    expect(baseEventName('mem cats')).toBe('mem cats');
    expect(baseEventName('cpu/event=0x3c/')).toBe('cpu/event=0x3c/');
  });
});

describe('min/max decimation', () => {
  const n = 100_000;
  const time = Float64Array.from({ length: n }, (_, i) => i * 10);
  const values = Float64Array.from({ length: n }, (_, i) => 1000 + (i % 7));
  values[54_321] = 0; // a single stopped interval
  values[77_777] = 9_999;
  const src = decimationSource(time, values);

  it('keeps at most two points per column and the one dip and spike at full view', () => {
    const pts = decimate(src, 0, time[n - 1], 800);
    expect(pts.length).toBeLessThanOrEqual(2 * 800 + 2);
    const ys = Array.from(pts.y);
    expect(Math.min(...ys)).toBe(0);
    expect(Math.max(...ys)).toBe(9_999);
    for (let i = 1; i < pts.length; i++) expect(pts.x[i]).toBeGreaterThanOrEqual(pts.x[i - 1]);
  });

  it('is exact when zoomed in to fewer points than columns, with one point either side', () => {
    const pts = decimate(src, 543_000, 543_500, 800);
    expect(Array.from(pts.x)).toEqual(Array.from({ length: 53 }, (_, k) => 542_990 + 10 * k));
    expect(pts.x[0]).toBeLessThan(543_000);
    expect(pts.x[52]).toBeGreaterThan(543_500);
    expect(Array.from(pts.y)).toEqual(Array.from(values.slice(54_299, 54_352)));
  });

  it('answers range min/max like a scan, for any range', () => {
    const small = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i * 1.3) * 100);
    const idx = new RangeMinMax(small);
    const out = new Float64Array(2);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 1, max: 1000 }), (a, len) => {
        const b = Math.min(1000, a + len);
        idx.query(a, b, out);
        const slice = Array.from(small.slice(a, b));
        expect(out[0]).toBe(Math.min(...slice));
        expect(out[1]).toBe(Math.max(...slice));
      }),
    );
  });

  it('gives the lowest running share per column', () => {
    const t = Float64Array.from({ length: 10 }, (_, i) => (i + 1) * 100);
    const share = Float64Array.from([1, 1, 0.5, 1, 1, 1, 1, 0.25, 1, 1]);
    const cols = runningShareColumns(decimationSource(t, share), 0, 1000, 5);
    expect(Array.from(cols)).toEqual([1, 0.5, 1, 0.25, 1]);
  });
});
