/**
 * The timeline tooltip's content over real recordings: the guest run under
 * the pointer with its exit reason and exits, every visible series' reading
 * in the pointer's column, SPE blackouts of an arm64 guest, and the running
 * share of a multiplexed event.
 */
import { describe, expect, it } from 'vitest';
import { parsePerfCommand, type RecordOptions } from '../../emulator/perf-tool/cmdline';
import { loadBuiltinScenario } from '../../emulator/scenario/builtins';
import { parseScenario } from '../../emulator/scenario/parse';
import { runRecord } from '../../emulator/session';
import { columnAt, decimationSource, lowerBound, MarkerIndex, runningShareColumns } from '../../profile/counter-series';
import { MarkerKind } from '../../profile/model';
import { hoverAt, visibleGroups } from '../../renderer/timeline/timeline-model';

describe('the timeline tooltip over recorded traces', () => {
  it('in a real recording, names the guest run the pointer is in, with its exit reason and exits', () => {
    const { scenario } = loadBuiltinScenario('mediated')!;
    scenario.duration = 200e6;
    const p = runRecord(scenario, parsePerfCommand(['record', '-a', '-g']) as RecordOptions, '').profile;
    const m = p.markers;
    const runs = Array.from({ length: m.length }, (_, i) => i).filter((i) => m.kind[i] === MarkerKind.GuestRun && m.cpu[i] === 2);
    expect(runs.length).toBeGreaterThan(0);
    const i = runs.find((r) => m.end[r] - m.start[r] > 1e6)!;
    const t = (m.start[i] + m.end[i]) / 2;
    const index = new MarkerIndex(m);
    const found = index.overlapping(t, t, (r) => m.kind[r] === MarkerKind.GuestRun && m.cpu[r] === 2, 5);
    expect(found).toEqual([i]);

    const group = visibleGroups(p, 2)[0];
    const hover = hoverAt(p, group, [], 0, 200e6, 1000, t, 2);
    const exits = (JSON.parse(p.strings[m.data[i]]) as { exits: number }).exits;
    expect(hover.markers.map((h) => h.text)).toContain(
      `guest run: vm0 vCPU ${m.vcpu[i]} on CPU 2, ${((m.end[i] - m.start[i]) / 1e6).toFixed(2).replace(/\.?0+$/, '')} ms, ended by ${p.strings[m.name[i]]}, ${exits} exits inside`,
    );
    // Each visible series' reading is the column's, looked up in its own track.
    for (const r of hover.rows) {
      const track = p.counters[group.series.find((s) => s.label === r.label)!.track];
      const col = columnAt(0, 200e6, 1000, t);
      const a = lowerBound(track.time, col.from);
      const b = lowerBound(track.time, col.to);
      const slice = b > a ? Array.from(track.value.slice(a, b)) : [track.value[lowerBound(track.time, t)]];
      expect([r.min, r.max]).toEqual([Math.min(...slice), Math.max(...slice)]);
      expect(r.running).toBeNull();
    }
    expect(hover.rows.length).toBeGreaterThan(1);
  });

  it('lists SPE blackouts of an arm64 guest and the running share of a multiplexed event', () => {
    const text = [
      'format: 1',
      'duration: 100ms',
      'machine: { arch: arm64, cpus: 2, pmu: { spe: [0, 1] } }',
      'vms:',
      '  - { name: vm0, vcpus: 1, cpus: [1], spe: true, spe_config: { buffer_kb: 64, interval: 4096 }, workloads: [ { program: spin } ] }',
    ].join('\n');
    const p = runRecord(parseScenario(text, 'spe.yaml').scenario, parsePerfCommand(['record', '-a', '-e', 'cpu-clock']) as RecordOptions, text).profile;
    const m = p.markers;
    const spe = Array.from({ length: m.length }, (_, i) => i).find((i) => p.strings[m.name[i]].startsWith('SPE '))!;
    const t = (m.start[spe] + m.end[spe]) / 2;
    const hover = hoverAt(p, visibleGroups(p, -1)[0], [], 0, 100e6, 1000, t, -1);
    expect(hover.markers.map((h) => h.text)).toContain(`${p.strings[m.name[spe]]} (vm0 vCPU 0, ${((m.end[spe] - m.start[spe]) / 1e3).toFixed(2).replace(/\.?0+$/, '')} µs)`);

    const mux = loadBuiltinScenario('multiplex')!.scenario;
    mux.duration = 100e6;
    const events = 'cycles,instructions,branches,branch-misses,cache-misses,cache-references';
    const q = runRecord(mux, parsePerfCommand(['record', '-a', '-e', events]) as RecordOptions, '').profile;
    const group = visibleGroups(q, -1).find((g) => g.event === 'cycles')!;
    const track = q.counters[group.series[0].track];
    expect(Math.min(...track.running)).toBeLessThan(1);
    // A reading in the middle of the trace the event shared its counter in.
    const k = Array.from(track.running).findIndex((r, i) => r < 1 && i > 2 && i < track.time.length - 2);
    expect(k).toBeGreaterThan(0);
    const at = track.time[k] - 1;
    const row = hoverAt(q, group, [], 0, 100e6, 800, at, -1).rows[0];
    const col = columnAt(0, 100e6, 800, at);
    expect(row.running).toBe(runningShareColumns(decimationSource(track.time, track.running), 0, 100e6, 800)[col.index]);
    expect(row.running).toBeLessThanOrEqual(track.running[k]);
    expect(row.running).toBeGreaterThan(0);
  });
});
