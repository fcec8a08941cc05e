/** The stat and VM-exit tables of emulator recordings, projected as the window shows them. */
import { describe, expect, it } from 'vitest';
import { parsePerfCommand, type RecordOptions } from '../../emulator/perf-tool/cmdline';
import { parseScenario } from '../../emulator/scenario/parse';
import { runRecord } from '../../emulator/session';
import { exitMachines, exitsInRange, exitTable } from '../../profile/exit-table';
import type { VmExitTable } from '../../profile/model';
import { filterTimeRange } from '../../profile/transforms';
import { deserializeProfile, serializeProfile } from '../../profile/serialize';
import { statTable } from '../../profile/stat-table';

function record(vpmu: string, events: string, withVm = true, timeline: string[] = []) {
  const text = [
    'format: 1',
    'duration: 200ms',
    'machine: { arch: x86_64, cpus: 2, nmi_watchdog: false, pmu: { counters: 4 } }',
    ...(vpmu === 'mediated' ? ['kvm: { enable_mediated_pmu: true }'] : []),
    'host: { workloads: [ { program: spin, threads: 1, cpus: [0] } ] }',
    ...(withVm ? ['vms:', `  - { name: vm0, vcpus: 1, cpus: [1], vpmu: ${vpmu}, workloads: [ { program: pmu-poll } ] }`] : []),
    'perf:',
    `  - { on: host, run: "stat -a -e '{r00c4,r00c5,r412e,r4f2e}:DH'" }`,
    ...(timeline.length > 0 ? ['timeline:', ...timeline.map((t) => `  - ${t}`)] : []),
  ].join('\n');
  return runRecord(parseScenario(text, 'tables.yaml').scenario, parsePerfCommand(['record', '-a', '-e', events]) as RecordOptions, text).profile;
}

describe('the stat table of a recording', () => {
  it('shows scaled counts with their running share, <not counted> for an event that never got a counter, and IPC', () => {
    const profile = record('emulated', 'cycles,instructions,branches:H');
    const table = statTable(profile)!;
    expect(table.source).toBe('stat');
    const [cycles, instructions, branches] = table.rows;
    expect(cycles.state).toBe('counted');
    // Multiplexed beside the host's pinned group: ran part of the time, scaled up.
    expect(cycles.running).toBeGreaterThan(0);
    expect(cycles.running).toBeLessThan(1);
    expect(cycles.truth).not.toBeNull();
    expect(Math.abs(cycles.count - cycles.truth!) / cycles.truth!).toBeLessThan(0.1);
    expect(instructions.metric).toBe(`${(instructions.count / cycles.count).toFixed(2)}  insn per cycle`);
    expect(branches).toMatchObject({ name: 'branches:H', state: 'not-counted', count: 0 });
  });

  it('shows <not supported> for a host event that would count in a mediated guest', () => {
    const table = statTable(record('mediated', 'cycles:H,cycles:G'))!;
    expect(table.rows.map((r) => `${r.name} ${r.state}`)).toEqual(['cycles:H counted', 'cycles:G not-supported']);
  });

  it('derives the table from the counter tracks for a time range, and for traces without stat results', () => {
    const profile = record('emulated', 'cycles');
    const { stat: _s, ...withoutStat } = profile;
    const whole = statTable(withoutStat)!;
    expect(whole.source).toBe('counters');
    // The tracks' sum is the same count perf stat read at the end.
    expect(whole.rows[0].count).toBeCloseTo(profile.stat![0].count, -6);
    const half = statTable(profile, { start: 0, end: 100e6 })!;
    expect(half.source).toBe('counters');
    expect(half.rows[0].count).toBeGreaterThan(0);
    expect(half.rows[0].count).toBeLessThan(whole.rows[0].count);
  });
});

describe('the VM-exit table of a recording', () => {
  it('puts the vPMU-caused exits on rows of their own, with rates over the trace', () => {
    const emulated = exitTable(record('emulated', 'cycles'))!;
    const mediated = exitTable(record('mediated', 'cycles'))!;
    const rdpmc = emulated.rows.find((r) => r.reason === 'RDPMC')!;
    expect(rdpmc.pmu).toBe(true);
    expect(rdpmc.rate).toBeCloseTo(rdpmc.count / 0.2, 6);
    expect(rdpmc.meanNs).toBeCloseTo(rdpmc.totalNs / rdpmc.count, 6);
    expect(emulated.total.pmuCount).toBeGreaterThan(100 * Math.max(1, mediated.total.pmuCount));
    expect(mediated.rows.some((r) => r.reason === 'RDPMC')).toBe(false);
    const shares = emulated.rows.reduce((a, r) => a + r.share, 0);
    expect(shares).toBeCloseTo(1, 9);
  });

  it('is per VM or for all of them, and absent for a trace without a VM', () => {
    const profile = record('mediated', 'cycles');
    const [vm] = exitMachines(profile);
    expect(profile.machines[vm].name).toBe('vm0');
    expect(exitTable(profile, vm)!.total).toEqual(exitTable(profile)!.total);
    expect(exitTable(profile, vm + 1)!.rows).toEqual([]);
    expect(exitTable(record('mediated', 'cycles', false))).toBeNull();
  });

  it('survives the native format; a file written before the tables opens without them', () => {
    const profile = record('emulated', 'cycles');
    const back = deserializeProfile(serializeProfile(profile));
    expect(back.vmExits).toEqual(profile.vmExits);
    expect(back.stat).toEqual(profile.stat);
    const { stat: _s, vmExits: _v, designComparison: _d, ...older } = profile;
    const old = deserializeProfile(serializeProfile(older));
    expect(old.stat).toBeUndefined();
    expect(old.vmExits).toBeUndefined();
    expect(statTable(old)!.source).toBe('counters');
    expect(exitTable(old)).toBeNull();
  });
});

describe('the VM-exit table over a time range', () => {
  it('counts the exits of the range: none after the VM stopped, and two halves that add up to the whole', () => {
    const profile = record('emulated', 'cycles', true, ['{ at: 100ms, do: stop vm0 }']);
    const whole = exitTable(profile)!;
    expect(whole.durationNs).toBe(200e6);
    const line = profile.vmExits!.timeline!;
    expect(line.time[0]).toBe(0);
    expect(line.time[line.time.length - 1]).toBe(200e6);
    // The timeline ends at the rows' totals.
    profile.vmExits!.rows.forEach((r, i) => expect(line.count[i][line.time.length - 1]).toBe(r.count));

    const before = exitTable(filterTimeRange(profile, 0, 100e6))!;
    const after = exitTable(filterTimeRange(profile, 120e6, 200e6))!;
    expect(before.total.count).toBeGreaterThan(1000);
    expect(before.total.pmuCount).toBeGreaterThan(0);
    expect(before.durationNs).toBe(100e6);
    expect(after.total.count).toBe(0);
    expect(after.rows).toEqual([]);
    const rest = exitTable(filterTimeRange(profile, 100e6, 200e6))!;
    expect(before.total.count + rest.total.count).toBe(whole.total.count);
    expect(before.total.pmuNs + rest.total.pmuNs).toBeCloseTo(whole.total.pmuNs, 3);
    // Rates are per second of the range, not of the trace.
    const rdpmc = before.rows.find((r) => r.reason === 'RDPMC')!;
    expect(rdpmc.rate).toBeCloseTo(rdpmc.count / 0.1, 6);
  });

  it('keeps the whole table for a trace that does not say when its exits happened', () => {
    const profile = record('emulated', 'cycles');
    const { timeline: _t, ...older } = profile.vmExits!;
    const cut = filterTimeRange({ ...profile, vmExits: older }, 0, 50e6);
    expect(cut.vmExits).toEqual(older);
    expect(exitsInRange(older, 0, 50e6)).toBeNull();
  });

  it('spreads exits evenly between two points, and cuts a cut the same as the original', () => {
    const row = { machine: 1, vcpu: 0, reason: 'RDPMC', count: 100, totalNs: 1000, pmuCount: 100, pmuNs: 1000 };
    const table: VmExitTable = {
      durationNs: 20,
      rows: [row],
      timeline: { time: [0, 10, 20], count: [[0, 20, 100]], totalNs: [[0, 200, 1000]], pmuCount: [[0, 20, 100]], pmuNs: [[0, 200, 1000]] },
    };
    const mid = exitsInRange(table, 5, 15)!;
    // 10 of the first step's 20, 40 of the second's 80.
    expect(mid.rows[0]).toMatchObject({ count: 50, totalNs: 500 });
    expect(mid.durationNs).toBe(10);
    expect(mid.timeline!.time).toEqual([5, 10, 15]);
    expect(exitsInRange(mid, 10, 15)!.rows[0]).toEqual(exitsInRange(table, 10, 15)!.rows[0]);
    // A range past the ends is clamped to them.
    expect(exitsInRange(table, -50, 500)!.rows[0]).toMatchObject({ count: 100, totalNs: 1000 });
    expect(exitsInRange(table, 30, 40)!.durationNs).toBe(0);
  });
});
