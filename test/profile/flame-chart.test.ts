import { describe, expect, it } from 'vitest';
import { nodeName } from '../../profile/call-tree';
import { boxAt, buildFlameChart, type FlameChart, type FlameChartLane } from '../../profile/flame-chart';
import { totalWeight } from '../../profile/model';
import { recordDefaultScenario, textProfile } from '../helpers/stack-profiles';

/** A lane's rows as text: "name[start,end)xcount" per box, one line per depth. */
function boxes(chart: FlameChart, lane: FlameChartLane): string[] {
  return lane.rows.map((row) =>
    Array.from({ length: row.length }, (_, k) => `${nodeName(chart.tree, row.node[k])}[${row.start[k]},${row.end[k]})x${row.count[k]}`).join(' '),
  );
}

describe('flame chart', () => {
  it('merges consecutive samples that share a stack prefix, in time order, per thread', () => {
    const p = textProfile(`
      t=30 thread=w cycles: main;a;c 1
      t=0 thread=w cycles: main;a;b 1
      t=10 thread=w cycles: main;a;b 1
      t=20 thread=w cycles: main;a 1
      t=40 thread=w cycles: main;d 1
      t=5 thread=x cycles: idle 1
    `);
    const chart = buildFlameChart(p);
    expect(chart.axis).toBe('time');
    expect(chart.lanes.map((l) => l.label)).toEqual(['w 1/1', 'x 1/2']);
    const [w, x] = chart.lanes;
    // Samples 10 ns apart; the last one lasts one median gap.
    expect(boxes(chart, w)).toEqual([
      'main[0,50)x5',
      'a[0,40)x4 d[40,50)x1',
      'b[0,20)x2 c[30,40)x1',
    ]);
    expect(w.boxCount).toBe(5);
    expect([w.start, w.end, chart.start, chart.end]).toEqual([0, 50, 0, 50]);
    // A lane with one sample gets a nominal 1 ns.
    expect(boxes(chart, x)).toEqual(['idle[5,6)x1']);
  });

  it('breaks boxes where the thread paused (a gap over twice the median)', () => {
    const p = textProfile(`
      t=0 cycles: main;a 1
      t=10 cycles: main;a 1
      t=20 cycles: main;a 1
      t=100 cycles: main;a 1
      t=110 cycles: main 1
    `);
    const [lane] = buildFlameChart(p).lanes;
    expect(boxes(buildFlameChart(p), lane)).toEqual(['main[0,30)x3 main[100,120)x2', 'a[0,30)x3 a[100,110)x1']);
  });

  it('has one lane per CPU on request, and lays out an untimed trace by weight', () => {
    const p = textProfile(`
      t=0 cpu=1 thread=a cycles: f 1
      t=10 cpu=1 thread=b cycles: f 1
      t=20 cpu=0 thread=a cycles: g 1
      t=30 cpu=1 thread=a cycles: f 1
    `);
    const chart = buildFlameChart(p, { lanes: 'cpu' });
    expect(chart.lanes.map((l) => [l.key, l.label, l.sampleCount])).toEqual([
      ['cpu:1', 'CPU 1', 3],
      ['cpu:0', 'CPU 0', 1],
    ]);
    expect(boxes(chart, chart.lanes[0])).toEqual(['f[0,40)x3']);

    const untimed = buildFlameChart(textProfile('cycles: a;b 3\ncycles: a;c 2\ncycles: a;c 4'));
    expect(untimed.axis).toBe('weight');
    expect(boxes(untimed, untimed.lanes[0])).toEqual(['a[0,9)x3', 'b[0,3)x1 c[3,9)x2']);
  });

  it('on an emulator recording, boxes nest, never overlap, and count every sample once', () => {
    const p = recordDefaultScenario();
    for (const mode of ['thread', 'cpu'] as const) {
      const chart = buildFlameChart(p, { lanes: mode });
      expect(chart.axis).toBe('time');
      expect(chart.lanes.reduce((n, l) => n + l.sampleCount, 0)).toBe(p.samples.length);
      expect(chart.tree.total[0]).toBe(totalWeight(p, 0));
      if (mode === 'thread') expect(chart.lanes.some((l) => l.label.includes('(vm0 vCPU 1)'))).toBe(true);
      for (const lane of chart.lanes) {
        const outer = lane.rows[0];
        let counted = 0;
        for (let k = 0; k < outer.length; k++) counted += outer.count[k];
        expect(counted).toBeLessThanOrEqual(lane.sampleCount);
        expect(counted).toBeGreaterThan(lane.sampleCount * 0.9);
        // Checked in bulk: a handful of expect() calls, not one per box.
        const bad: string[] = [];
        for (let d = 0; d < lane.rows.length; d++) {
          const row = lane.rows[d];
          for (let k = 0; k < row.length; k++) {
            if (!(row.end[k] > row.start[k])) bad.push(`${lane.label} d${d} #${k} empty`);
            if (k > 0 && row.start[k] < row.end[k - 1]) bad.push(`${lane.label} d${d} #${k} overlaps`);
            if (d === 0) continue;
            // The box's parent frame is a box one row up that spans it.
            const up = lane.rows[d - 1];
            const j = boxAt(up, row.start[k]);
            if (j < 0 || up.node[j] !== chart.tree.parent[row.node[k]] || up.end[j] < row.end[k]) bad.push(`${lane.label} d${d} #${k} not nested`);
          }
        }
        expect(bad).toEqual([]);
      }
    }
  });

  it('builds a lane’s boxes on first read, and its activity strip at once', () => {
    const p = textProfile(`
      t=0 thread=w cycles: main;a 1
      t=10 thread=w cycles: main;sys/hk 1
      t=20 thread=w cycles: main;sys/hk 1
      t=30 thread=w cycles: main;a 1
      t=200 thread=w cycles: main;a 1
      t=5 thread=x cycles: idle 1
    `);
    const chart = buildFlameChart(p);
    const [w, x] = chart.lanes;
    expect([w.built, x.built]).toEqual([false, false]);
    expect(w.machines).toEqual(['host']);
    // Runs split where the leaf's context changes and where the thread paused.
    const runs = Array.from({ length: w.activity.length }, (_, k) => `${w.activity.start[k]}-${w.activity.end[k]}:${w.activity.context[k]}`);
    expect(runs).toEqual(['0-10:0', '10-30:1', '30-40:0', '200-210:0']);
    expect(w.rows.length).toBe(2);
    expect([w.built, x.built]).toEqual([true, false]);
    expect(w.boxCount).toBe(6);
  });

  it('names every machine a CPU lane ran code of', () => {
    const p = recordDefaultScenario(0.2);
    const chart = buildFlameChart(p, { lanes: 'cpu' });
    expect(chart.lanes.some((l) => l.machines.includes('vm0') && l.machines.includes('host'))).toBe(true);
    const threads = buildFlameChart(p);
    for (const lane of threads.lanes) expect(lane.machines).toEqual([lane.label.includes('(vm0') ? 'vm0' : 'host']);
  });
});
