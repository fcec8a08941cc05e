/**
 * The arm64 emulated vPMU on the real emulator: the guest's PMUv3 register
 * accesses trap and reprogram KVM's backing events through pmu-emul, 32-bit
 * counters overflow into the PMU PPI, and the VM's attributes (N, the event
 * filter) shape what the guest's perf sees.
 */
import { describe, expect, it } from 'vitest';
import type { ArmEmulatedGuestPmu } from '../../../emulator/kvm/arm64/emulated-pmu';
import { parsePerfCommand, type StatOptions } from '../../../emulator/perf-tool/cmdline';
import { parseScenario } from '../../../emulator/scenario/parse';
import { runStat } from '../../../emulator/session';

function scenario(opts: { duration?: string; pmu?: string; guest?: string } = {}) {
  const text = [
    'format: 1',
    `duration: ${opts.duration ?? '200ms'}`,
    'machine: { arch: arm64, cpus: 2 }',
    'host: { workloads: [ { program: compile, cpus: [0] } ] }',
    'vms:',
    '  - name: vm0',
    '    vcpus: 1',
    '    vpmu: emulated',
    '    cpus: [1]',
    `    workloads: [ { program: ${opts.guest ?? 'spin'} } ]`,
    ...(opts.pmu ? [`    pmu: ${opts.pmu}`] : []),
  ].join('\n');
  return parseScenario(text, 'arm-emulated.yaml').scenario;
}

const stat = (args: string[]) => parsePerfCommand(['stat', ...args]) as StatOptions;
const guestPmu = (r: ReturnType<typeof runStat>) => r.machine.kvm.vms[0].guest.hwPmu as ArmEmulatedGuestPmu;

describe('the arm64 emulated vPMU, driven by register accesses', () => {
  it('counts exactly past 2^32 on a 32-bit event counter: each 2^31 events is an overflow, a PPI and a fold', () => {
    const r = runStat(scenario({ duration: '1s' }), stat(['-a', '--truth', '-e', 'instructions,cycles']), 'vm0');
    const [insns, cycles] = r.run.counters;
    // spin retires ~3 instructions a cycle at 2.5 GHz: several 32-bit wraps in a second.
    expect(insns.truth).toBeGreaterThan(2 ** 32);
    expect(insns.value).toBe(insns.truth);
    expect(cycles.value).toBe(cycles.truth);
    const pmu = guestPmu(r);
    const wraps = Math.floor((insns.truth ?? 0) / (2 ** 31 - 1));
    // The cycle counter is 64-bit with LC: only the event counter interrupts.
    expect(pmu.ppis).toBe(wraps);
    // Each PPI: PMOVS read + clear, the counter read and rewritten; the rewrite recreates the backing event.
    expect(pmu.reprograms).toBeGreaterThanOrEqual(2 + wraps);
  });

  it('turns every guest counter access into a sys_reg exit: programming one counter costs four writes', () => {
    const idle = runStat(scenario({ guest: 'idle' }), stat(['-a', '-e', 'instructions']), 'vm0');
    const vcpu = idle.machine.kvm.vms[0].vcpus[0];
    const writes = vcpu.exits.get('MSR_WRITE')?.count ?? 0;
    // PMEVCNTR, PMEVTYPER, PMINTENSET, PMCNTENSET to start the counter; the guest's timer needs no trap on arm64.
    expect(writes).toBeGreaterThanOrEqual(4);
    expect(vcpu.pmuExits).toBeGreaterThanOrEqual(writes);
    // Only the enabling write gave the counter a backing event: it was disabled while its value and type were written.
    expect(guestPmu(idle).reprograms).toBe(Math.ceil(writes / 4));
  });

  it('samples through the PPI: one per period of guest cycles', () => {
    const s = scenario();
    s.perf.push({ on: 'vm0', run: 'record -a -e cycles -c 1000000', at: 0 });
    const r = runStat(s, stat(['-a', '-e', 'instructions']), 'vm0');
    const samples = r.background[0].profile?.samples.length ?? 0;
    // ~200 ms of guest at 2.5 GHz, less the exits: about 500 periods of 1M cycles.
    expect(samples).toBeGreaterThan(400);
    expect(samples).toBeLessThan(510);
    // A period is far longer than an exit, so no two overflows share a PPI (at most one per exit).
    expect(guestPmu(r).ppis).toBe(samples);
  });

  it('a FILTER that denies an event leaves its guest counter at zero, while the others count exactly', () => {
    const pmu = '{ filter: [ { action: deny, base_event: 0x08, nevents: 1 } ] }';
    const r = runStat(scenario({ pmu }), stat(['-a', '--truth', '-e', 'instructions,cycles,r0011']), 'vm0');
    const [insns, cycles, raw] = r.run.counters;
    expect(insns.truth).toBeGreaterThan(1e8);
    expect(insns.value).toBe(0);
    expect(cycles.value).toBe(cycles.truth);
    expect(raw.value).toBe(cycles.truth);
  });

  it('SET_NR_COUNTERS shrinks the guest’s PMU: four events on two counters multiplex', () => {
    // Four event-counter events (0x11, CPU_CYCLES, would take the cycle counter).
    const events = ['-a', '-e', 'r0008,r0003,r0012,r0010'];
    const full = runStat(scenario(), stat(events), 'vm0').run.counters;
    expect(full.every((c) => c.running === c.enabled)).toBe(true);
    const two = runStat(scenario({ pmu: '{ set_pmu: 8, nr_counters: 2 }' }), stat(events), 'vm0').run.counters;
    for (const c of two) expect(c.running / c.enabled).toBeLessThan(0.6);
  });
});
