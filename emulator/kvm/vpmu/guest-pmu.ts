/**
 * What every x86 vPMU shows the guest's perf core: a core PMU with the
 * guest's counters (KVM caps the legacy vPMU at version 2; counters and
 * widths come from the host), the same event decoding as the host driver,
 * and counter assignment per vCPU. How a counter really counts is the
 * design's: a backing host perf event (emulated) or the hardware counter
 * itself while the guest context is loaded (mediated).
 */
import { INTEL_PMC_IDX_FIXED, type PmuModel } from '../../hw/pmu-model';
import { filterAllowsFixed, filterAllowsGp } from '../x86/event-filter';
import type { CpuPmuArch } from '../../perf/cpu-pmu';
import { assignCounters, hwEventInit } from '../../perf/cpu-pmu';
import { Errno } from '../../perf/errno';
import type { PerfEvent } from '../../perf/event';
import { PERF_EF_START, PERF_EF_UPDATE, type Pmu, type PmuCapabilities } from '../../perf/pmu';
import type { Vm } from '../vm';

export abstract class GuestCorePmu implements Pmu {
  readonly name: string;
  readonly types: readonly number[];
  readonly capabilities: PmuCapabilities = { noInterrupt: false, noExclude: false, software: false, maxPrecise: 0 };
  muxIntervalMs = 4;
  /** Guest counter index → event, per vCPU. */
  protected readonly assigned: (PerfEvent | null)[][];
  private readonly txn: (PerfEvent[] | null)[];

  constructor(
    protected readonly vm: Vm,
    protected readonly arch: CpuPmuArch,
    protected readonly model: PmuModel,
  ) {
    this.name = arch.name;
    this.types = arch.types;
    this.assigned = vm.vcpus.map(() => []);
    this.txn = vm.vcpus.map(() => null);
  }

  eventInit(event: PerfEvent): number {
    return hwEventInit(this.arch, this.model, event);
  }

  validateGroup(members: readonly PerfEvent[]): boolean {
    return this.place(members, []) !== null;
  }

  startTxn(cpu: number): void {
    this.txn[cpu] = [];
  }

  commitTxn(cpu: number): number {
    const pending = this.txn[cpu] ?? [];
    this.txn[cpu] = null;
    const idx = this.place(pending, this.assigned[cpu]);
    if (!idx) return -Errno.EAGAIN;
    pending.forEach((e, i) => this.bind(cpu, e, idx[i]));
    return 0;
  }

  cancelTxn(cpu: number): void {
    this.txn[cpu] = null;
  }

  add(event: PerfEvent, flags: number): number {
    const cpu = event.ctx.activeCpu;
    event.hw.stopped = !(flags & PERF_EF_START);
    const txn = this.txn[cpu];
    if (txn) {
      txn.push(event);
      return 0;
    }
    const idx = this.place([event], this.assigned[cpu]);
    if (!idx) return -Errno.EAGAIN;
    this.bind(cpu, event, idx[0]);
    return 0;
  }

  del(event: PerfEvent): void {
    const cpu = event.ctx.activeCpu;
    const txn = this.txn[cpu];
    if (txn?.includes(event)) txn.splice(txn.indexOf(event), 1);
    if (event.hw.idx < 0) return;
    this.stop(event, PERF_EF_UPDATE);
    this.assigned[cpu][event.hw.idx] = null;
    event.hw.idx = -1;
  }

  /**
   * Whether the VM's event filter lets this guest counter count (KVM checks
   * it when it reprograms a counter): a denied counter simply does not count.
   */
  protected filterAllows(event: PerfEvent): boolean {
    const filter = this.vm.eventFilter;
    if (!filter) return true;
    if (event.hw.idx >= INTEL_PMC_IDX_FIXED) return filterAllowsFixed(filter, event.hw.idx - INTEL_PMC_IDX_FIXED);
    return filterAllowsGp(filter, event.context as bigint, this.model.vendor === 'amd' ? 'amd' : 'intel');
  }

  abstract start(event: PerfEvent, flags: number): void;
  abstract stop(event: PerfEvent, flags: number): void;
  abstract read(event: PerfEvent): void;

  /** Counters for `events` around the taken ones; null if they do not fit. */
  private place(events: readonly PerfEvent[], taken: readonly (PerfEvent | null)[]): number[] | null {
    return assignCounters(events, taken, (e) => this.arch.constraint(e, this.model));
  }

  private bind(cpu: number, event: PerfEvent, idx: number): void {
    this.assigned[cpu][idx] = event;
    event.hw.idx = idx;
    const start = !event.hw.stopped;
    event.hw.stopped = true;
    if (start) this.start(event, PERF_EF_START);
  }
}

/**
 * x86_perf_event_set_period as the guest's driver runs it: when the period is
 * used up, the next one starts and becomes last_period (what the next sample
 * reports, and what the frequency adjustment takes as the count).
 */
export function guestSetPeriod(hwc: PerfEvent['hw']): number {
  const period = hwc.sample_period;
  if (hwc.period_left <= -period) {
    hwc.period_left = period;
    hwc.last_period = period;
  }
  if (hwc.period_left <= 0) {
    hwc.period_left += period;
    hwc.last_period = period;
  }
  return Math.max(1, hwc.period_left);
}

/** The guest's PMU model: the host's counters, the perfmon version KVM advertises. */
export function guestModel(host: PmuModel, version: number): PmuModel {
  return { ...host, version: Math.min(host.version, version), maxPrecise: 0 };
}
