/**
 * When KVM gives a VM the mediated vPMU, on the real emulator: only beside an
 * in-kernel LAPIC (checklist 49), and only with the vendor module's
 * enable_mediated_pmu parameter (checklist 52).
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../emulator/machine';
import { makeAttr, PERF_TYPE_HARDWARE, PerfHwId } from '../../../emulator/perf/attr';
import { parsePerfCommand, type RecordOptions, type StatOptions } from '../../../emulator/perf-tool/cmdline';
import { parseScenario } from '../../../emulator/scenario/parse';
import { applyOverrides, runRecord, runStat } from '../../../emulator/session';

function scenario(opts: { vpmu: string; irqchip?: string; watchdog?: boolean; mediatedParam?: boolean; guest?: string }) {
  const text = [
    'format: 1',
    'duration: 300ms',
    `machine: { arch: x86_64, cpus: 2, nmi_watchdog: ${opts.watchdog ?? false} }`,
    ...(opts.mediatedParam === false ? [] : ['kvm: { enable_mediated_pmu: true }']),
    'host: { workloads: [ { program: compile, cpus: [0] } ] }',
    'vms:',
    '  - name: vm0',
    '    vcpus: 1',
    `    vpmu: ${opts.vpmu}`,
    ...(opts.irqchip ? [`    irqchip: ${opts.irqchip}`] : []),
    '    cpus: [1]',
    `    workloads: [ { program: ${opts.guest ?? 'spin'} } ]`,
  ].join('\n');
  return parseScenario(text, 'enable.yaml').scenario;
}

const stat = (args: string[]) => parsePerfCommand(['stat', ...args]) as StatOptions;
const cycles = makeAttr({ type: PERF_TYPE_HARDWARE, config: BigInt(PerfHwId.CPU_CYCLES) });

describe('49: a mediated VM without an in-kernel LAPIC', () => {
  it('is created beside the NMI watchdog (no EBUSY) and simply has no PMU', () => {
    const m = new Machine(scenario({ vpmu: 'mediated', irqchip: 'userspace', watchdog: true }));
    expect(m.kvm.nr_mediated_pmu_vms).toBe(0);
    expect(m.kvm.vms[0].vpmu.design).toBe('none');
    // With the in-kernel LAPIC the same VM is refused.
    expect(() => new Machine(scenario({ vpmu: 'mediated', irqchip: 'kernel', watchdog: true }))).toThrow(
      'vm0: KVM_CREATE_VCPU: Device or resource busy (EBUSY)',
    );
  });

  it('holds no mediated reference, so a host event that counts in guests opens and counts the guest', () => {
    const m = new Machine(scenario({ vpmu: 'mediated', irqchip: 'userspace' }));
    expect(m.perf.perf_event_open(cycles, -1, 0, -1, 0)).toBeGreaterThanOrEqual(3);
    const r = runStat(scenario({ vpmu: 'mediated', irqchip: 'userspace' }), stat(['-a', '-e', 'cycles']));
    expect(r.messages).toEqual([]);
    expect(r.run.counters.map((c) => c.name)).toEqual(['cycles']);
    // Beside a VM that has the mediated PMU, the same command falls back to cycles:H.
    const mediated = runStat(scenario({ vpmu: 'mediated' }), stat(['-a', '-e', 'cycles']));
    expect(mediated.run.counters.map((c) => c.name)).toEqual(['cycles:H']);
  });

  it('leaves the guest’s perf on software events: cycles counts as cpu-clock', () => {
    const r = runStat(scenario({ vpmu: 'mediated', irqchip: 'userspace' }), stat(['-a', '-e', 'cycles']), 'vm0');
    expect(r.run.counters[0].name).toBe('cpu-clock');
    expect(r.machine.kvm.vms[0].vcpus[0].pmuExits).toBe(0);
  });
});

describe('vms[].irqchip', () => {
  it('defaults to the in-kernel irqchip and names the choices when misspelt', () => {
    expect(scenario({ vpmu: 'emulated', mediatedParam: false }).vms[0].irqchip).toBe('kernel');
    expect(() => scenario({ vpmu: 'emulated', irqchip: 'user', mediatedParam: false })).toThrow(
      'enable.yaml:9:14: vms[0].irqchip: unknown value "user" (expected one of: kernel, userspace)',
    );
  });
});

describe('the emulated vPMU without an in-kernel LAPIC', () => {
  const record = (irqchip: string) =>
    runRecord(
      scenario({ vpmu: 'emulated', irqchip, mediatedParam: false }),
      parsePerfCommand(['record', '-a', '-e', 'cycles', '-c', '1000000']) as RecordOptions,
      '',
      'vm0',
    );

  it('counts exactly, but its guest never receives a PMI, so a guest record has no samples', () => {
    const c = runStat(scenario({ vpmu: 'emulated', irqchip: 'userspace', mediatedParam: false }), stat(['-a', '--truth', '-e', 'cycles']), 'vm0')
      .run.counters[0];
    expect(c.truth).toBeGreaterThan(1e8);
    expect(c.value).toBe(c.truth);
    const nmiExits = (r: ReturnType<typeof record>) => r.profile.vmExits?.rows.find((row) => row.reason === 'EXCEPTION_NMI')?.pmuCount ?? 0;
    const userspace = record('userspace');
    expect(userspace.samples).toBe(0);
    // The host took the backing event's PMI and the vCPU exited for it, but the guest's handler
    // never ran to re-arm the counter: one overflow, then silence.
    expect(nmiExits(userspace)).toBe(1);
    // The same guest with the in-kernel LAPIC samples every million cycles.
    const kernel = record('kernel');
    expect(kernel.samples).toBeGreaterThan(90);
    expect(nmiExits(kernel)).toBeGreaterThan(90);
  });
});

describe('49 on arm64: the vCPU PMU without an in-kernel irqchip', () => {
  const arm = (pmu: string) =>
    parseScenario(
      [
        'format: 1',
        'duration: 100ms',
        'machine: { arch: arm64, cpus: 2 }',
        'vms:',
        `  - { name: vm0, vcpus: 2, vpmu: emulated, irqchip: userspace${pmu}, workloads: [ { program: spin } ] }`,
      ].join('\n'),
      'arm.yaml',
    ).scenario;

  it('takes INIT without an IRQ, and refuses an IRQ with EINVAL (checklist 62)', () => {
    const r = runStat(arm(''), stat(['-a', '--truth', '-e', 'cycles']), 'vm0');
    expect(r.run.counters[0].value).toBeGreaterThan(0);
    expect(() => new Machine(arm(', pmu: { irq: 23 }'))).toThrow(
      'vm0: KVM_ARM_VCPU_PMU_V3_CTRL(KVM_ARM_VCPU_PMU_V3_IRQ, vCPU 0): Invalid argument (EINVAL)',
    );
  });
});

describe('52: the vendor module parameter enable_mediated_pmu', () => {
  const text = (kvm: string, vm = 'vpmu: mediated', machine = 'arch: x86_64, cpus: 2, nmi_watchdog: false') =>
    ['format: 1', `machine: { ${machine} }`, ...(kvm ? [`kvm: { ${kvm} }`] : []), 'vms:', `  - { name: vm0, vcpus: 1, ${vm} }`].join('\n');

  it('defaults to N: a scenario asking for a mediated VM without it fails, pointing at the request', () => {
    expect(parseScenario(text('', 'vpmu: emulated'), 'p.yaml').scenario.kvm.enable_mediated_pmu).toBe(false);
    expect(() => parseScenario(text(''), 'p.yaml')).toThrow(
      "p.yaml:4:34: vms[0].vpmu: mediated needs kvm.enable_mediated_pmu: true (kvm-intel's module parameter, default N; without it KVM gives every VM the emulated vPMU)",
    );
    expect(() => parseScenario(text('vpmu: mediated', ''), 'p.yaml')).toThrow(/^p\.yaml:3:14: kvm\.vpmu: mediated needs kvm\.enable_mediated_pmu: true/);
    expect(() => parseScenario(text('', 'vpmu: mediated', 'arch: x86_64, vendor: amd, cpus: 2'), 'p.yaml')).toThrow(/kvm-amd's module parameter/);
    expect(parseScenario(text('enable_mediated_pmu: true'), 'p.yaml').scenario.vms[0].vpmu).toBe('mediated');
  });

  it('is an x86 module parameter: arm64 refuses the key', () => {
    expect(() => parseScenario(text('enable_mediated_pmu: true', 'vpmu: emulated', 'arch: arm64, cpus: 2'), 'p.yaml')).toThrow(
      'p.yaml:3:8: kvm.enable_mediated_pmu: x86_64 only (a kvm-intel/kvm-amd module parameter; arm64 has no mediated vPMU)',
    );
  });

  it('is read at module load: KVM without it has no mediated design to give', () => {
    const s = parseScenario(text('enable_mediated_pmu: true'), 'p.yaml').scenario;
    s.kvm.enable_mediated_pmu = false;
    expect(() => new Machine(s)).toThrow('vm0: vpmu mediated: kvm-intel.enable_mediated_pmu is N (set kvm.enable_mediated_pmu: true)');
  });

  it('--vpmu mediated loads the module with it, so the override runs the mediated design', () => {
    const s = parseScenario(text('', 'vpmu: emulated'), 'p.yaml').scenario;
    const m = new Machine(applyOverrides(s, { vpmu: 'mediated' }));
    expect(m.kvm.vms[0].vpmu.design).toBe('mediated');
    expect(m.kvm.nr_mediated_pmu_vms).toBe(1);
    expect(applyOverrides(s, { vpmu: 'emulated' }).kvm.enable_mediated_pmu).toBe(false);
  });

  it('is all-or-nothing: beside it every VM with a PMU is mediated, and asking for emulated is refused where it was asked', () => {
    const two = (kvm: string, vm1: string) =>
      [
        'format: 1',
        'machine: { arch: x86_64, cpus: 2, nmi_watchdog: false }',
        `kvm: { ${kvm} }`,
        'vms:',
        '  - { name: vm0, vcpus: 1 }',
        `  - { name: vm1, vcpus: 1${vm1} }`,
      ].join('\n');
    // A VM that asks for nothing gets what KVM gives it.
    expect(parseScenario(two('enable_mediated_pmu: true', ''), 'p.yaml').scenario.vms.map((v) => v.vpmu)).toEqual(['mediated', 'mediated']);
    expect(() => parseScenario(two('enable_mediated_pmu: true', ', vpmu: emulated'), 'p.yaml')).toThrow(
      'p.yaml:6:34: vms[1].vpmu: emulated cannot be had beside kvm.enable_mediated_pmu: true (the module parameter is all-or-nothing: KVM gives every VM with a PMU the mediated vPMU)',
    );
    // The kvm: default is blamed where a VM takes it, and only then.
    expect(() => parseScenario(two('vpmu: emulated, enable_mediated_pmu: true', ', vpmu: mediated'), 'p.yaml')).toThrow(/^p\.yaml:3:14: kvm\.vpmu: emulated cannot be had/);
    const own = [
      'format: 1',
      'machine: { arch: x86_64, cpus: 2, nmi_watchdog: false }',
      'kvm: { vpmu: emulated, enable_mediated_pmu: true }',
      'vms:',
      '  - { name: vm0, vcpus: 1, vpmu: mediated }',
      '  - { name: vm1, vcpus: 1, vpmu: none }',
      '  - { name: vm2, vcpus: 1, vpmu: paravirt }',
    ].join('\n');
    // No PMU, or the paravirtual interface instead of one, is not KVM's PMU to make mediated.
    const m = new Machine(parseScenario(own, 'p.yaml').scenario);
    expect(m.kvm.vms.map((v) => v.vpmu.design)).toEqual(['mediated', 'none', 'paravirt']);
    expect(m.kvm.nr_mediated_pmu_vms).toBe(1);
  });

  it('--vpmu emulated loads the module without it, and a scenario built in code is held to the rule', () => {
    const s = parseScenario(text('enable_mediated_pmu: true'), 'p.yaml').scenario;
    const emulated = new Machine(applyOverrides(s, { vpmu: 'emulated' }));
    expect(emulated.kvm.vms[0].vpmu.design).toBe('emulated');
    expect(emulated.kvm.nr_mediated_pmu_vms).toBe(0);
    s.vms[0].vpmu = 'emulated';
    expect(() => new Machine(s)).toThrow('vm0: vpmu emulated: kvm-intel.enable_mediated_pmu is Y, so KVM gives every VM with a PMU the mediated vPMU');
  });
});
