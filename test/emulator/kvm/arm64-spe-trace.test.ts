/**
 * A host recording of an arm64 guest with SPE shows when the guest's SPE
 * unit wrote nothing: each buffer-full management event and each stage-2
 * fault on the buffer is a marker on that vCPU, with the records it lost.
 */
import { describe, expect, it } from 'vitest';
import { parsePerfCommand, type RecordOptions } from '../../../emulator/perf-tool/cmdline';
import { parseScenario } from '../../../emulator/scenario/parse';
import { runRecord } from '../../../emulator/session';
import { MarkerKind, type Profile } from '../../../profile/model';

function record(config: string): Profile {
  const text = [
    'format: 1',
    'duration: 100ms',
    'machine: { arch: arm64, cpus: 2, pmu: { spe: [0, 1] } }',
    'vms:',
    `  - { name: vm0, vcpus: 1, cpus: [1], spe: true, spe_config: ${config}, workloads: [ { program: spin } ] }`,
  ].join('\n');
  const options = parsePerfCommand(['record', '-a', '-e', 'cpu-clock']) as RecordOptions;
  return runRecord(parseScenario(text, 'spe.yaml').scenario, options, text).profile;
}

function speMarkers(p: Profile) {
  const m = p.markers;
  const out: { name: string; start: number; end: number; machine: string; vcpu: number; lost: number }[] = [];
  for (let i = 0; i < m.length; i++) {
    const name = p.strings[m.name[i]];
    if (m.kind[i] !== MarkerKind.Other || !name.startsWith('SPE ')) continue;
    const lost = (JSON.parse(p.strings[m.data[i]]) as { lost: number }).lost;
    out.push({ name, start: m.start[i], end: m.end[i], machine: p.machines[m.machine[i]].name, vcpu: m.vcpu[i], lost });
  }
  return out;
}

describe('SPE blackouts in a host recording', () => {
  it('marks every buffer-full stop of a small pinned buffer on vCPU 0 of vm0', () => {
    const markers = speMarkers(record('{ buffer_kb: 64, interval: 4096 }'));
    expect(markers.length).toBeGreaterThan(100);
    for (const m of markers) {
      expect(m).toMatchObject({ machine: 'vm0', vcpu: 0 });
      expect(m.name).toBe(`SPE buffer full: ${m.lost} records lost`);
      expect(m.end).toBeGreaterThan(m.start);
      expect(m.lost).toBeGreaterThan(0);
    }
  });

  it('marks the stage-2 faults of an unpinned buffer, which lose far more per stop', () => {
    const markers = speMarkers(record('{ pinned: false, interval: 4096 }'));
    const faults = markers.filter((m) => m.name.startsWith('SPE stage-2 fault'));
    expect(faults.length).toBeGreaterThan(100);
    const lost = faults.reduce((n, m) => n + m.lost, 0);
    expect(lost / faults.length).toBeGreaterThan(10);
  });
});
