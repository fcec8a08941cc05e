/**
 * The KVM_ARM_VCPU_PMU_V3_CTRL attributes written in a scenario (`vms[].pmu`)
 * and applied by the VMM when the machine is built: what KVM accepts becomes
 * the VM's PMU, what it refuses fails the machine with the kernel's errno.
 */
import { describe, expect, it } from 'vitest';
import { KVM_ARM_VCPU_PMU_V3_IRQ } from '../../../emulator/kvm/arm64/pmu-v3-ctrl';
import { KvmError } from '../../../emulator/kvm/kvm';
import { Machine } from '../../../emulator/machine';
import { parseScenario, ScenarioError } from '../../../emulator/scenario/parse';

function scenario(pmu: string | null, opts: { vcpus?: number; arch?: string; vpmu?: string } = {}) {
  const text = [
    'format: 1',
    'duration: 20ms',
    `machine: { arch: ${opts.arch ?? 'arm64'}, cpus: 2, nmi_watchdog: false }`,
    'vms:',
    '  - name: vm0',
    `    vcpus: ${opts.vcpus ?? 2}`,
    `    vpmu: ${opts.vpmu ?? 'emulated'}`,
    '    workloads: [ { program: spin } ]',
    ...(pmu === null ? [] : [`    pmu: ${pmu}`]),
  ].join('\n');
  return parseScenario(text, 'pmu.yaml').scenario;
}

const vmOf = (pmu: string | null, opts: { vcpus?: number; vpmu?: string } = {}) => new Machine(scenario(pmu, opts)).kvm.vms[0];
const refusal = (pmu: string, opts: { vcpus?: number } = {}) => {
  try {
    vmOf(pmu, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(KvmError);
    return (e as Error).message;
  }
  return 'accepted';
};

describe('vCPU PMU attributes from a scenario', () => {
  it('without pmu: the VMM sets PPI 23 on every vCPU and INIT, on the host PMU with all its counters', () => {
    const pmu = vmOf(null).armPmu;
    if (!pmu) throw new Error('no arm PMU state');
    expect([0, 1].map((v) => pmu.getAttr(v, KVM_ARM_VCPU_PMU_V3_IRQ))).toEqual([23, 23]);
    expect(pmu.pmcrN).toBe(6);
    expect(pmu.pmuType).toBe(8);
    expect(pmu.hasRanOnce).toBe(true);
    // A VM without a vPMU has no KVM_ARM_VCPU_PMU_V3 feature: no attributes at all.
    expect(vmOf(null, { vpmu: 'none' }).armPmu).toBeNull();
  });

  it('62: a PPI must be the same on every vCPU, SPIs one per vCPU and distinct', () => {
    expect(refusal('{ irqs: [23, 24] }')).toBe('vm0: KVM_ARM_VCPU_PMU_V3_CTRL(KVM_ARM_VCPU_PMU_V3_IRQ, vCPU 1): Invalid argument (EINVAL)');
    expect(refusal('{ irqs: [40, 40] }')).toBe('vm0: KVM_ARM_VCPU_PMU_V3_CTRL(KVM_ARM_VCPU_PMU_V3_IRQ, vCPU 1): Invalid argument (EINVAL)');
    // An SGI is neither.
    expect(refusal('{ irq: 5 }', { vcpus: 1 })).toBe('vm0: KVM_ARM_VCPU_PMU_V3_CTRL(KVM_ARM_VCPU_PMU_V3_IRQ): Invalid argument (EINVAL)');
    const spis = vmOf('{ irqs: [40, 41] }').armPmu;
    expect([0, 1].map((v) => spis?.getAttr(v, KVM_ARM_VCPU_PMU_V3_IRQ))).toEqual([40, 41]);
    expect(vmOf('{ irq: 22 }').armPmu?.getAttr(1, KVM_ARM_VCPU_PMU_V3_IRQ)).toBe(22);
  });

  it('64: the first filter sets the default and later ranges go on top; a range past the event space is EINVAL', () => {
    const pmu = vmOf('{ filter: [ { action: allow, base_event: 0x08, nevents: 4 }, { action: deny, base_event: 0x09, nevents: 1 } ] }').armPmu;
    if (!pmu) throw new Error('no arm PMU state');
    expect(pmu.filterDefault).toBe('deny');
    expect([0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x11].map((e) => pmu.eventAllowed(e))).toEqual([true, false, true, true, false, false]);
    // PMUv3p0 has a 10-bit event space: 1024 events.
    expect(refusal('{ filter: [ { action: deny, base_event: 0x3ff, nevents: 2 } ] }')).toBe(
      'vm0: KVM_ARM_VCPU_PMU_V3_CTRL(KVM_ARM_VCPU_PMU_V3_FILTER): Invalid argument (EINVAL)',
    );
  });

  it('65/66: SET_PMU names a host PMU by type; SET_NR_COUNTERS needs it and stays within its counters', () => {
    expect(refusal('{ set_pmu: 9 }')).toBe('vm0: KVM_ARM_VCPU_PMU_V3_CTRL(KVM_ARM_VCPU_PMU_V3_SET_PMU): No such device or address (ENXIO)');
    expect(refusal('{ nr_counters: 4 }')).toBe(
      'vm0: KVM_ARM_VCPU_PMU_V3_CTRL(KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS): Invalid argument (EINVAL)',
    );
    expect(refusal('{ set_pmu: 8, nr_counters: 7 }')).toBe(
      'vm0: KVM_ARM_VCPU_PMU_V3_CTRL(KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS): Invalid argument (EINVAL)',
    );
    expect(vmOf('{ set_pmu: 8, nr_counters: 4 }').armPmu?.pmcrN).toBe(4);
  });

  it('a vCPU whose PMU was never initialized cannot run: its first KVM_RUN fails EINVAL', () => {
    expect(refusal('{ init: false }')).toBe('vm0: KVM_RUN: Invalid argument (EINVAL)');
  });

  it('is arm64 syntax: an x86 scenario or a wrong count of IRQs fails to parse where it is written', () => {
    expect(() => scenario('{ irq: 23 }', { arch: 'x86_64' })).toThrow(ScenarioError);
    expect(() => scenario('{ irq: 23 }', { arch: 'x86_64' })).toThrow(/pmu\.yaml:9:\d+: vms\[0\]\.pmu: .*arm64 only/);
    expect(() => scenario('{ irqs: [40] }')).toThrow(/vms\[0\]\.pmu\.irqs: 1 IRQs for 2 vCPUs/);
  });
});
