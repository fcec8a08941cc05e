import { describe, expect, it } from 'vitest';
import { comparisonProfile, recordDesignComparison } from '../../emulator/compare-trace';
import { parseScenario } from '../../emulator/scenario/parse';
import { accuracyTable, LARGE_ERROR_PCT } from '../../profile/accuracy-table';
import { deserializeProfile, serializeProfile } from '../../profile/serialize';

/** A guest polling its counters beside a host whose pinned group takes every GP counter. */
function busyHost(hostPerf: boolean): string {
  return [
    'format: 1',
    'name: busy',
    'duration: 200ms',
    'machine: { arch: x86_64, cpus: 2, nmi_watchdog: false, pmu: { counters: 4 } }',
    'host: { workloads: [ { program: spin, threads: 1, cpus: [1] } ] }',
    'vms:',
    '  - { name: vm0, vcpus: 1, cpus: [1], workloads: [ { program: pmu-poll } ] }',
    ...(hostPerf ? ['perf:', `  - { on: host, run: "stat -a -e '{r00c4,r00c5,r412e,r4f2e}:DH'" }`] : []),
  ].join('\n');
}

function compare(text: string, designs: string[], events: string[] = []) {
  return recordDesignComparison(parseScenario(text, 'busy.yaml').scenario, text, designs, events);
}

describe('recordDesignComparison', () => {
  it('pmu-poll: the emulated design takes far more PMU-caused exits than the mediated one, and pays for them', () => {
    const profile = compare(busyHost(false), ['emulated', 'mediated'], ['cycles']);
    const [emulated, mediated] = profile.designComparison!.rows;
    expect([emulated.design, mediated.design]).toEqual(['emulated', 'mediated']);
    expect(emulated.pmuExits).toBeGreaterThan(100 * Math.max(1, mediated.pmuExits));
    expect(emulated.hostCostNs).toBeGreaterThan(100 * Math.max(1, mediated.hostCostNs));
    expect(emulated.pmuExits).toBeLessThanOrEqual(emulated.vmExits);
  });

  it('a busy host: the emulated guest count silently stops (large error), the mediated one is exact', () => {
    const table = accuracyTable(compare(busyHost(true), ['emulated', 'mediated'], ['branches']))!;
    expect(table.designs).toEqual(['emulated', 'mediated']);
    const [emulated, mediated] = table.rows;
    expect(emulated.absError).toBeGreaterThan(LARGE_ERROR_PCT);
    expect(mediated.guestValue).toBe(mediated.truthValue);
    expect(mediated.errorPct).toBe(0);
  });

  it('keeps the scenario and the table through the native format', () => {
    const text = busyHost(false);
    const profile = compare(text, ['mediated'], ['cycles,instructions']);
    const back = deserializeProfile(serializeProfile(profile));
    expect(back.designComparison).toEqual(profile.designComparison);
    expect(back.scenario).toBe(text);
    expect(back.events.map((e) => e.name)).toEqual(['cycles', 'instructions']);
    expect(back.machines.map((m) => m.name)).toEqual(['host', 'vm0']);
  });

  it('refuses an unknown design and a scenario without a VM, naming what was expected', () => {
    expect(() => compare(busyHost(false), ['emulated', 'magic'])).toThrow(/unknown vPMU design "magic" \(expected a list of: none, emulated/);
    const noVm = 'format: 1\nduration: 10ms\nmachine: { arch: x86_64, cpus: 1 }\n';
    expect(() => compare(noVm, ['mediated'])).toThrow(/compare needs a VM/);
  });

  it('a trace without a comparison has no accuracy table', () => {
    expect(accuracyTable(comparisonProfile([], 'vm0', 'empty'))).toBeNull();
  });
});
