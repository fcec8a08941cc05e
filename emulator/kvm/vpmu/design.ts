/**
 * One ops table per virtual-PMU design, chosen once when the VM is created:
 * what PMU the guest's perf core gets, what KVM does around the inner run
 * loop, and what guest counter reads cost. The run loop (kvm/vcpu.ts) calls
 * these and never asks which design it runs.
 */
import type { Pmu } from '../../perf/pmu';
import type { VpmuDesign } from '../../scenario/types';
import type { Vcpu } from '../vcpu';
import type { Vm } from '../vm';

export interface VpmuOps {
  readonly design: VpmuDesign;
  /** The guest's hardware PMU for its perf core; null when the guest sees none. */
  createGuestPmu(vm: Vm): Pmu | null;
  /** Just before the inner run loop (VM-entry with IRQs off), on `cpu`. */
  load(vcpu: Vcpu, cpu: number, now: number): void;
  /** Just after it (VM-exit, before IRQs are enabled again). */
  put(vcpu: Vcpu, cpu: number, now: number): void;
  /** A guest read of its own counters (RDPMC, MSR) traps to KVM. */
  readonly trapsCounterReads: boolean;
  /** Host time to switch PMU state at each entry/exit pair, ns. */
  readonly switchCostNs: number;
  /**
   * What migrating the VM does to the design's state. Absent: KVM saves and
   * restores it with the vCPU's MSRs/registers and the counts carry on.
   */
  migrate?(vm: Vm): void;
}
