/**
 * arm64 PMU partitioning (Colton Lewis's series, v1 Jun 2025 → v6 Feb 2026,
 * not merged): MDCR_EL2.HPMN splits the event counters. [0, HPMN) and the
 * cycle counter belong to the guest and are its hardware counters while it
 * runs; the host keeps `host_counters` (reserved_host_counters) at
 * [HPMN, N) and never touches the others (HPMN = N − host_counters). No host event is ever
 * scheduled out for the guest, and the guest's state is swapped at
 * vcpu_load/vcpu_put, not around the inner run loop as x86's mediated vPMU
 * does. The price is paid by the host: it has fewer counters, and its own
 * perf multiplexes sooner.
 */
import { ARMV8_IDX_CYCLE_COUNTER, type PmuModel } from '../../hw/pmu-model';
import type { CpuPmu } from '../../perf/cpu-pmu';
import type { Kernel } from '../../os/kernel';
import type { Vm } from '../vm';
import type { VpmuOps } from './design';
import { partitionCounters } from '../arm64/partition';
import { PassthroughGuestPmu } from './mediated';

/** The host's share when the scenario does not say: half the event counters. */
export function defaultHostCounters(model: PmuModel): number {
  return Math.floor(model.gpCounters / 2);
}

export function partitionedVpmu(kernel: Kernel, hostPmu: CpuPmu, hostCounters: number): VpmuOps {
  const host = kernel.cpus[0].model;
  const split = partitionCounters(host.gpCounters, hostCounters);
  // Host perf never schedules on the guest's share, nor on the cycle counter (checklist 73).
  for (const i of split.guest) hostPmu.reserved.add(i);
  hostPmu.reserved.add(ARMV8_IDX_CYCLE_COUNTER);
  const guest: PmuModel = { ...host, gpCounters: split.hpmn, maxPrecise: 0 };
  const hostHandlers = kernel.cpus.map((c) => c.pmiHandler);
  const guestPmu = (vm: Vm) => vm.guest.hwPmu as PassthroughGuestPmu | null;
  return {
    design: 'partitioned',
    // Guest counter i is hardware counter i: the guest's share starts at 0.
    createGuestPmu: (vm) => new PassthroughGuestPmu(vm, kernel, guest, (i) => i, hostHandlers),
    load: (vcpu, cpu) => guestPmu(vcpu.vm)?.load(vcpu, cpu),
    put: (vcpu, cpu) => guestPmu(vcpu.vm)?.put(vcpu, cpu),
    trapsCounterReads: false,
    // Swapped at vcpu_load/vcpu_put, when the thread changes CPUs: not at every exit.
    switchCostNs: 0,
  };
}
