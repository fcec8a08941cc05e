/**
 * What the VMM does to give an arm64 VM its PMU, in the order QEMU and the
 * kernel require (Documentation/virt/kvm/devices/vcpu.rst): the VM-wide
 * attributes first (SET_PMU, then FILTER, then SET_NR_COUNTERS, which
 * SET_PMU would reset), the vGIC initialized, then on every vCPU the IRQ
 * and INIT last; the first KVM_RUN of a vCPU whose PMU was never
 * initialized fails. Each step goes through pmu-v3-ctrl, so the kernel's
 * errno is the VM's error.
 */
import { ARMV8_PMUV3_COMMON_EVENTS } from '../../hw/event-codes';
import type { PmuModel } from '../../hw/pmu-model';
import { ARMV8_PMU_TYPE } from '../../perf/cpu-pmu-arch';
import { describeErrno } from '../../perf/errno';
import { DEFAULT_PMU_PPI } from '../../scenario/parse';
import type { Irqchip, VcpuPmuSpec } from '../../scenario/types';
import { ID_AA64DFR0_EL1_PMUVer, pmceidFromEvents } from './pmu-emul';
import {
  type ArmPmu,
  ArmVmPmuCtl,
  KVM_ARM_VCPU_PMU_V3_FILTER,
  KVM_ARM_VCPU_PMU_V3_INIT,
  KVM_ARM_VCPU_PMU_V3_IRQ,
  KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS,
  KVM_ARM_VCPU_PMU_V3_SET_PMU,
  KVM_PMU_EVENT_ALLOW,
  KVM_PMU_EVENT_DENY,
  type PmuV3AttrValue,
} from './pmu-v3-ctrl';

const ATTR_NAMES: Record<number, string> = {
  [KVM_ARM_VCPU_PMU_V3_IRQ]: 'KVM_ARM_VCPU_PMU_V3_IRQ',
  [KVM_ARM_VCPU_PMU_V3_INIT]: 'KVM_ARM_VCPU_PMU_V3_INIT',
  [KVM_ARM_VCPU_PMU_V3_FILTER]: 'KVM_ARM_VCPU_PMU_V3_FILTER',
  [KVM_ARM_VCPU_PMU_V3_SET_PMU]: 'KVM_ARM_VCPU_PMU_V3_SET_PMU',
  [KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS]: 'KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS',
};

/**
 * The VMM's defaults when the scenario gives no `pmu:`: QEMU's PPI and INIT
 * on every vCPU; without an in-kernel irqchip, INIT alone (the overflow level
 * then reaches the VMM in kvm_run's device_irq_level).
 */
export function defaultVcpuPmu(vcpus: number, irqchip: Irqchip): VcpuPmuSpec {
  const irq = irqchip === 'kernel' ? Array<number>(vcpus).fill(DEFAULT_PMU_PPI) : [];
  return { set_pmu: null, filter: [], nr_counters: null, irq, init: true };
}

/** The model's PMU version as ID_AA64DFR0_EL1.PMUVer encodes it (3 is PMUv3, 5 PMUv3p5...). */
export function pmuverOf(model: PmuModel): number {
  const byVersion: Record<number, number> = {
    3: ID_AA64DFR0_EL1_PMUVer.IMP,
    4: ID_AA64DFR0_EL1_PMUVer.V3P4,
    5: ID_AA64DFR0_EL1_PMUVer.V3P5,
    7: ID_AA64DFR0_EL1_PMUVer.V3P7,
  };
  return byVersion[model.version] ?? ID_AA64DFR0_EL1_PMUVer.IMP;
}

/** The host's arm_pmu: one PMU over every CPU, as the machine models it. */
export function hostArmPmu(model: PmuModel): ArmPmu {
  return {
    type: ARMV8_PMU_TYPE,
    nrCounters: model.gpCounters,
    pmuver: pmuverOf(model),
    pmceid: pmceidFromEvents(Object.values(ARMV8_PMUV3_COMMON_EVENTS)),
  };
}

/**
 * Creates the VM's PMU state and applies `spec` to its vCPUs, up to and
 * including each vCPU's first KVM_RUN. A refusal is the error line
 * `<vm>: <operation>: <strerror> (<ERRNO>)`.
 */
export function setupVmPmu(
  vm: string,
  vcpus: number,
  spec: VcpuPmuSpec,
  model: PmuModel,
  irqchip: Irqchip,
): ArmVmPmuCtl | { error: string } {
  const inKernelIrqchip = irqchip === 'kernel';
  const ctl = new ArmVmPmuCtl({ hostPmus: [hostArmPmu(model)], vcpuHasPmu: Array<boolean>(vcpus).fill(true), inKernelIrqchip });
  const set = (vcpu: number, attr: number, value?: PmuV3AttrValue): string | null => {
    const r = ctl.setAttr(vcpu, attr, value);
    if (r === 0) return null;
    const where = vcpus > 1 && (attr === KVM_ARM_VCPU_PMU_V3_IRQ || attr === KVM_ARM_VCPU_PMU_V3_INIT) ? `, vCPU ${vcpu}` : '';
    return `${vm}: KVM_ARM_VCPU_PMU_V3_CTRL(${ATTR_NAMES[attr]}${where}): ${describeErrno(r)}`;
  };
  const steps: (() => string | null)[] = [];
  // The VM-wide attributes through vCPU 0, as kvmtool does; they apply to every vCPU.
  if (spec.set_pmu !== null) steps.push(() => set(0, KVM_ARM_VCPU_PMU_V3_SET_PMU, spec.set_pmu ?? undefined));
  for (const f of spec.filter) {
    const action = f.action === 'allow' ? KVM_PMU_EVENT_ALLOW : KVM_PMU_EVENT_DENY;
    steps.push(() => set(0, KVM_ARM_VCPU_PMU_V3_FILTER, { base_event: f.base_event, nevents: f.nevents, action }));
  }
  if (spec.nr_counters !== null) steps.push(() => set(0, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, spec.nr_counters ?? undefined));
  if (inKernelIrqchip) steps.push(() => (ctl.vgicInit(), null));
  for (let i = 0; i < vcpus; i++) {
    if (spec.irq.length > 0) steps.push(() => set(i, KVM_ARM_VCPU_PMU_V3_IRQ, spec.irq[i]));
    if (spec.init) steps.push(() => set(i, KVM_ARM_VCPU_PMU_V3_INIT));
  }
  for (let i = 0; i < vcpus; i++) {
    steps.push(() => {
      const r = ctl.firstRun(i);
      return r === 0 ? null : `${vm}: KVM_RUN: ${describeErrno(r)}`;
    });
  }
  for (const step of steps) {
    const error = step();
    if (error) return { error };
  }
  return ctl;
}
