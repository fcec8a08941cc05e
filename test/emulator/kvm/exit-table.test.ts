/**
 * The VM-exit table counts the exits the vPMU caused as they happen, reason
 * by reason: a PMI's NMI exit or a PMU MSR write is the vPMU's, the guest
 * timer's MSR write is not, whatever else the guest does.
 */
import { describe, expect, it } from 'vitest';
import { vcpuExitRows } from '../../../emulator/kvm/exit-table';
import { parsePerfCommand, type StatOptions } from '../../../emulator/perf-tool/cmdline';
import { parseScenario } from '../../../emulator/scenario/parse';
import { runStat } from '../../../emulator/session';

function run(vpmu: string, guestPerf?: string) {
  const scenario = parseScenario(
    [
      'format: 1',
      'duration: 200ms',
      'machine: { arch: x86_64, cpus: 2, nmi_watchdog: false }',
      `vms: [ { name: vm0, vcpus: 1, vpmu: ${vpmu}, cpus: [1], workloads: [ { program: webserver } ] } ]`,
      ...(guestPerf ? [`perf: [ { on: vm0, run: "${guestPerf}" } ]`] : []),
    ].join('\n'),
    'exits.yaml',
  ).scenario;
  const r = runStat(scenario, parsePerfCommand(['stat', '-a', '-e', 'cpu-clock']) as StatOptions);
  const vcpu = r.machine.kvm.vms[0].vcpus[0];
  return { vcpu, rows: vcpuExitRows(vcpu, 1) };
}

const row = (rows: ReturnType<typeof run>['rows'], reason: string) => rows.find((r) => r.reason === reason);

describe('VM exits caused by the vPMU, counted per reason', () => {
  it('a guest without perf causes only its PMU driver’s boot writes: its timer MSR writes are its own', () => {
    const { vcpu, rows } = run('emulated');
    const writes = row(rows, 'MSR_WRITE')!;
    expect(writes.count).toBeGreaterThan(10);
    // LVTPC and PERF_GLOBAL_CTRL, written once when the guest's perf driver probes.
    expect(rows.reduce((n, r) => n + r.pmuCount, 0)).toBe(vcpu.pmuExits);
    expect(vcpu.pmuExits).toBe(2);
    expect(writes.pmuCount).toBe(2);
  });

  it('a sampling guest under trap-and-emulate: every PMI exit and PMU register access is the vPMU’s, and they add up', () => {
    const { vcpu, rows } = run('emulated', 'record -a -c 200000 -e cycles');
    const nmi = row(rows, 'EXCEPTION_NMI')!;
    expect(nmi.count).toBeGreaterThan(10);
    expect(nmi.pmuCount).toBe(nmi.count);
    // The guest timer still writes its deadline MSR: MSR_WRITE is shared, and split exactly.
    const writes = row(rows, 'MSR_WRITE')!;
    expect(writes.pmuCount).toBeGreaterThan(0);
    expect(writes.pmuCount).toBeLessThan(writes.count);
    expect(writes.pmuNs).toBeLessThan(writes.totalNs);
    // Exits still queued when the run ended were counted as caused, not yet as handled.
    const handled = rows.reduce((n, r) => n + r.pmuCount, 0);
    expect(handled).toBeLessThanOrEqual(vcpu.pmuExits);
    expect(handled).toBeGreaterThan(vcpu.pmuExits - 8);
    for (const r of rows) expect(r.pmuNs).toBeLessThanOrEqual(r.totalNs);
  });
});
