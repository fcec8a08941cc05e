/**
 * The x86 trap-and-emulate vPMU in the run loop: the guest's perf driver
 * programs its counters by WRMSR, KVM's register surface decides what the
 * backing host events become, overflows come back through LVTPC at entry —
 * and what a PMI costs the host and how late it reaches the guest, against
 * the mediated vPMU.
 */
import { describe, expect, it } from 'vitest';
import { EXEC_CONTEXT_NAMES, ExecContext } from '../../../profile/model';
import type { X86TrappedGuestPmu } from '../../../emulator/kvm/vpmu/emulated-x86';
import { APIC_LVT_MASKED } from '../../../emulator/kvm/x86/lvtpc';
import { ARCH_PERFMON_EVENTSEL_ENABLE, ARCH_PERFMON_EVENTSEL_INT, ARCH_PERFMON_EVENTSEL_USR, MSR_CORE_PERF_GLOBAL_STATUS } from '../../../emulator/kvm/x86/msr';
import { Machine } from '../../../emulator/machine';
import { makeAttr, PERF_TYPE_HARDWARE, PerfHwId } from '../../../emulator/perf/attr';
import { parsePerfCommand, type RecordOptions, type StatOptions } from '../../../emulator/perf-tool/cmdline';
import { parseScenario } from '../../../emulator/scenario/parse';
import { runRecord, runStat } from '../../../emulator/session';

const MS = 1_000_000;

function scenario(vpmu: string, opts: { guest?: string; guestPerf?: string; duration?: string } = {}) {
  return parseScenario(
    [
      'format: 1',
      `duration: ${opts.duration ?? '200ms'}`,
      'machine: { arch: x86_64, cpus: 2, nmi_watchdog: false }',
      ...(vpmu === 'mediated' ? ['kvm: { enable_mediated_pmu: true }'] : []),
      `vms: [ { name: vm0, vcpus: 1, vpmu: ${vpmu}, cpus: [1], workloads: [ { program: ${opts.guest ?? 'spin'} } ] } ]`,
      ...(opts.guestPerf ? [`perf: [ { on: vm0, run: "${opts.guestPerf}" } ]`] : []),
    ].join('\n'),
    'x86.yaml',
  ).scenario;
}

const stat = (args: string[]) => parsePerfCommand(['stat', ...args]) as StatOptions;
const kvmPmu = (m: Machine) => (m.kvm.vms[0].guest.hwPmu as X86TrappedGuestPmu).kvm[0];
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];

describe('the guest programs trap-and-emulate counters through its MSRs', () => {
  it('a guest perf stat writes PERFEVTSEL and the counter; KVM backs the counter from what it wrote', () => {
    const r = runStat(scenario('emulated'), stat(['-a', '--truth', '-e', 'branches:u']), 'vm0');
    const k = kvmPmu(r.machine);
    const pmc = k.pmu.gp_counters[0];
    // The guest's selector: branch instructions, user only, INT and ENABLE, as Linux's driver writes it.
    expect(pmc.eventsel).toBe(0xc4n | ARCH_PERFMON_EVENTSEL_USR | ARCH_PERFMON_EVENTSEL_INT | ARCH_PERFMON_EVENTSEL_ENABLE);
    const backing = k.backingEvent(pmc);
    expect(backing?.attr.config).toBe(0xc4n);
    expect([backing?.attr.exclude_user, backing?.attr.exclude_kernel, backing?.attr.exclude_host]).toEqual([false, true, true]);
    // Counting through the registers loses nothing: the guest's count is its truth.
    const c = r.run.counters[0];
    expect(c.truth).toBeGreaterThan(1e6);
    expect(c.value).toBe(c.truth);
    // Every access was an exit the PMU caused: the driver's LVTPC and GLOBAL_CTRL at boot, the
    // counter and selector at start, the selector at stop.
    const v = r.machine.kvm.vms[0].vcpus[0];
    expect(v.pmuExits).toBeGreaterThanOrEqual(5);
  });

  it('a sampling guest gets one PMI per overflow through LVTPC, each an NMI exit, and acks GLOBAL_STATUS', () => {
    const r = runStat(scenario('emulated', { guestPerf: 'record -a -c 1000000 -e cycles' }), stat(['-a', '-e', 'cpu-clock']));
    const v = r.machine.kvm.vms[0].vcpus[0];
    const k = kvmPmu(r.machine);
    const pmis = v.pmiSkid.latencyNs.length;
    // ~200 ms of spin at 3 GHz: about 600 overflows of a 1M-cycle period.
    expect(pmis).toBeGreaterThan(500);
    expect(pmis).toBeLessThan(700);
    expect(v.exits.get('EXCEPTION_NMI')?.count).toBe(pmis);
    // The handler reads GLOBAL_STATUS once per PMI and clears it through OVF_CTRL.
    // (The last PMI's accesses may still wait for their exits when the run ends.)
    expect(v.exits.get('MSR_READ')?.count).toBeGreaterThanOrEqual(pmis - 1);
    expect(v.exits.get('MSR_READ')?.count).toBeLessThanOrEqual(pmis);
    const status = k.pmu.kvm_pmu_get_msr(MSR_CORE_PERF_GLOBAL_STATUS, true);
    expect('value' in status && status.value).toBe(0n);
    // Intel guests find LVTPC masked after each delivery; the handler unmasks it.
    expect(k.lvtpc.masked).toBe(false);
  });

  it('a masked LVTPC gets no PMI: the overflow stays in GLOBAL_STATUS and the guest takes no sample', () => {
    const m = new Machine(scenario('emulated'));
    const k = kvmPmu(m);
    k.lvtpc.reg = APIC_LVT_MASKED;
    const guest = m.kvm.vms[0].guest.perf;
    const fd = guest.perf_event_open(makeAttr({ type: PERF_TYPE_HARDWARE, config: BigInt(PerfHwId.CPU_CYCLES), sample_period: 1_000_000n }), -1, 0, -1, 0);
    expect(fd).toBeGreaterThanOrEqual(3);
    m.runUntil(100 * MS);
    const v = m.kvm.vms[0].vcpus[0];
    // The host still took the backing event's NMI and KVM set the status bit...
    expect(v.exits.get('EXCEPTION_NMI')?.count).toBeGreaterThan(0);
    const pmc = k.pmcAt(guest.eventOf(fd)?.hw.idx ?? -1);
    expect(k.pmu.global_status & (1n << BigInt(pmc.idx))).not.toBe(0n);
    // ...but nothing reached the guest.
    expect(v.pmiSkid.latencyNs).toEqual([]);
    expect(v.exits.get('MSR_READ')).toBeUndefined();
  });

  it('two counters overflowing before one entry share one PMI (at most one per VM-exit)', () => {
    // cycles on fixed counter 1 and r003c (unhalted core cycles) on a GP counter, armed together, overflow together.
    const r = runStat(scenario('emulated', { guestPerf: 'record -a -c 1000000 -e cycles,r003c' }), stat(['-a', '-e', 'cpu-clock']));
    const v = r.machine.kvm.vms[0].vcpus[0];
    const pmis = v.pmiSkid.latencyNs.length;
    const nmis = v.exits.get('EXCEPTION_NMI')?.count ?? 0;
    const profile = r.background[0].profile;
    const samples = profile?.samples.length ?? 0;
    expect(pmis).toBeGreaterThan(500);
    // Two samples per PMI: the handler finds both bits in GLOBAL_STATUS.
    expect(samples).toBeGreaterThan(1.8 * pmis);
    expect(pmis).toBeLessThanOrEqual(nmis);
  });
});

describe('what a guest PMI costs and how late it lands', () => {
  const run = (vpmu: string) =>
    runStat(scenario(vpmu, { guest: 'webserver', guestPerf: 'record -a -c 1000000 -e cycles', duration: '300ms' }), stat(['-a', '-e', 'cpu-clock']));

  it('the emulated vPMU delivers later than the mediated one: the NMI exit and the reprogram come first', () => {
    const [emulated, mediated] = ['emulated', 'mediated'].map((vpmu) => run(vpmu).machine.kvm.vms[0].vcpus[0].pmiSkid);
    for (const skid of [emulated, mediated]) {
      expect(skid.latencyNs.length).toBeGreaterThan(200);
      // The vCPU is held in KVM while its PMI is handled: the guest is where the counter overflowed.
      expect(skid.misattributed / skid.latencyNs.length).toBeLessThan(0.02);
    }
    const e50 = quantile(emulated.latencyNs, 0.5);
    const m50 = quantile(mediated.latencyNs, 0.5);
    expect(e50).toBeGreaterThan(1.5 * m50);
    expect(quantile(emulated.latencyNs, 0.95)).toBeGreaterThan(1.5 * quantile(mediated.latencyNs, 0.95));
    // Both stay in microseconds: a PMI is injected at the very next entry.
    expect(e50).toBeLessThan(20_000);
    expect(m50).toBeGreaterThan(500);
  });

  it('the host sees the emulated PMI as hypervisor time in perf’s NMI handler and kvm_perf_overflow', () => {
    const s = scenario('emulated', { guestPerf: 'record -a -c 200000 -e cycles', duration: '200ms' });
    const r = runRecord(s, parsePerfCommand(['record', '-a', '-g', '-c', '20000', '-e', 'cycles:H']) as RecordOptions, '');
    const p = r.profile;
    const frame = (name: string) => Array.from({ length: p.frames.length }, (_, f) => f).find((f) => p.strings[p.frames.name[f]] === name);
    const overflow = frame('kvm_perf_overflow');
    expect(overflow).toBeDefined();
    expect(p.frames.context[overflow ?? 0]).toBe(ExecContext.Hypervisor);
    // Samples whose leaf is the PMI path: hypervisor time the guest's sampling costs the host.
    let hits = 0;
    for (let i = 0; i < p.samples.length; i++) {
      const leaf = p.stacks.frame[p.samples.stack[i]];
      if (leaf === overflow) hits++;
    }
    expect(hits).toBeGreaterThan(10);
    expect(EXEC_CONTEXT_NAMES[p.frames.context[overflow ?? 0]]).toBe('hypervisor');
  });
});
