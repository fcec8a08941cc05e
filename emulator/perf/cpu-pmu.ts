/**
 * The core PMU driver (arch/x86/events/core.c, drivers/perf/arm_pmuv3.c): maps
 * perf events onto hardware counters, programs them, folds counter deltas
 * into event counts and handles the overflow interrupt. What differs per
 * architecture sits in one ops table (CpuPmuArch, perf/cpu-pmu-arch.ts); this
 * file never asks which architecture it drives.
 */
import { ExecContext } from '../../profile/model';
import type { Cpu } from '../hw/cpu';
import type { PmuModel } from '../hw/pmu-model';
import type { PerfEventAttr } from './attr';
import { Errno } from './errno';
import type { PerfEvent } from './event';
import { is_sampling_event } from './overflow';
import { PERF_EF_RELOAD, PERF_EF_START, PERF_EF_UPDATE, type Pmu, type PmuCapabilities } from './pmu';

/** What one architecture's driver decides (x86_pmu / armv8pmu ops). */
export interface CpuPmuArch {
  readonly name: string;
  readonly types: readonly number[];
  /**
   * Decode and check the event: the hardware event it counts and its
   * selector, or -errno (ENOENT for an unmapped generic event).
   */
  hwConfig(attr: PerfEventAttr, model: PmuModel): { event: number; selector: bigint } | number;
  /** Counters the event may use, preferred first (fixed counters before GP ones). */
  constraint(event: PerfEvent, model: PmuModel): readonly number[];
  /** Largest period one counter programming may cover. */
  maxPeriod(width: number): number;
}

/** The execution contexts an event's exclude_* bits let it count in. */
export function contextMask(attr: PerfEventAttr): number {
  let mask = 0;
  const host = !attr.exclude_host;
  const guest = !attr.exclude_guest;
  // Host code run for a guest is host kernel code as far as privilege filters go.
  if (host && !attr.exclude_user) mask |= 1 << ExecContext.HostUser;
  if (host && !attr.exclude_kernel) mask |= (1 << ExecContext.HostKernel) | (1 << ExecContext.Hypervisor);
  if (guest && !attr.exclude_kernel) mask |= 1 << ExecContext.GuestKernel;
  if (guest && !attr.exclude_user) mask |= 1 << ExecContext.GuestUser;
  return mask;
}

/**
 * x86_pmu_event_init / armpmu_event_init's common part, for the host's core
 * PMU and a guest's: the arch decodes attr into the event it counts and the
 * selector it programs (or an errno), and the exclude bits become the
 * contexts it counts in.
 */
export function hwEventInit(arch: CpuPmuArch, model: PmuModel, event: PerfEvent): number {
  const decoded = arch.hwConfig(event.attr, model);
  if (typeof decoded === 'number') return decoded;
  event.hw.event = decoded.event;
  event.hw.ctxMask = contextMask(event.attr);
  event.context = decoded.selector;
  return 0;
}

interface CpuState {
  /** Event on each counter index. */
  readonly assigned: (PerfEvent | null)[];
  /** Events added inside an open transaction, scheduled at commit. */
  txn: PerfEvent[] | null;
}

/**
 * Counters for `events` around the ones `taken` (and `reserved`), or null if
 * they do not all fit: most constrained first, as x86_schedule_events orders
 * by weight, ties in list order, each to its first free preferred counter.
 */
export function assignCounters(
  events: readonly PerfEvent[],
  taken: readonly (PerfEvent | null)[],
  constraint: (event: PerfEvent) => readonly number[],
  reserved: Iterable<number> = [],
): number[] | null {
  const used = new Set<number>(reserved);
  taken.forEach((e, idx) => {
    if (e) used.add(idx);
  });
  const options = events.map(constraint);
  const order = events.map((_, i) => i).sort((a, b) => options[a].length - options[b].length || a - b);
  const result: number[] = new Array(events.length);
  for (const i of order) {
    const idx = options[i].find((c) => !used.has(c));
    if (idx === undefined) return null;
    used.add(idx);
    result[i] = idx;
  }
  return result;
}

export interface CpuPmuHost {
  overflow(event: PerfEvent, cpu: number, now: number, tag: unknown): boolean;
}

export class CpuPmu implements Pmu {
  readonly name: string;
  readonly types: readonly number[];
  readonly capabilities: PmuCapabilities;
  muxIntervalMs = 4;
  host: CpuPmuHost | null = null;
  /** Counter indices host perf may not use (a partitioned PMU's guest share). */
  readonly reserved = new Set<number>();
  private readonly state: CpuState[];

  constructor(
    private readonly arch: CpuPmuArch,
    private readonly model: PmuModel,
    private readonly cpus: readonly Cpu[],
  ) {
    this.name = arch.name;
    this.types = arch.types;
    this.capabilities = { noInterrupt: false, noExclude: false, software: false, maxPrecise: model.maxPrecise };
    this.state = cpus.map(() => ({ assigned: [], txn: null }));
    cpus.forEach((cpu, i) => {
      cpu.pmiHandler = (now) => this.handleIrq(i, now);
    });
  }

  eventInit(event: PerfEvent): number {
    return hwEventInit(this.arch, this.model, event);
  }

  /** validate_group: the members must fit on an empty PMU. */
  validateGroup(members: readonly PerfEvent[]): boolean {
    return this.assign(members, []) !== null;
  }

  startTxn(cpu: number): void {
    this.state[cpu].txn = [];
  }

  commitTxn(cpu: number): number {
    const st = this.state[cpu];
    const pending = st.txn ?? [];
    st.txn = null;
    const placed = this.assign(pending, st.assigned);
    if (!placed) return -Errno.EAGAIN;
    pending.forEach((e, i) => this.place(cpu, e, placed[i]));
    return 0;
  }

  cancelTxn(cpu: number): void {
    this.state[cpu].txn = null;
  }

  add(event: PerfEvent, flags: number): number {
    const cpu = event.ctx.activeCpu;
    const st = this.state[cpu];
    event.hw.stopped = !(flags & PERF_EF_START);
    if (st.txn) {
      st.txn.push(event);
      return 0;
    }
    const placed = this.assign([event], st.assigned);
    if (!placed) return -Errno.EAGAIN;
    this.place(cpu, event, placed[0]);
    return 0;
  }

  del(event: PerfEvent): void {
    const cpu = event.ctx.activeCpu;
    const st = this.state[cpu];
    if (st.txn) {
      const i = st.txn.indexOf(event);
      if (i >= 0) st.txn.splice(i, 1);
    }
    if (event.hw.idx < 0) return;
    this.stop(event, PERF_EF_UPDATE);
    st.assigned[event.hw.idx] = null;
    event.hw.idx = -1;
  }

  start(event: PerfEvent, flags: number): void {
    const hwc = event.hw;
    if (hwc.idx < 0) return;
    const cpu = this.cpus[event.ctx.activeCpu];
    if (flags & PERF_EF_RELOAD || hwc.stopped) this.setPeriod(event, cpu);
    hwc.stopped = false;
    cpu.pmu.program(hwc.idx, { event: hwc.event, ctxMask: hwc.ctxMask, enabled: true, interrupt: true, globalEnabled: true });
    cpu.rearm();
  }

  stop(event: PerfEvent, flags: number): void {
    const hwc = event.hw;
    if (hwc.idx < 0 || hwc.stopped) return;
    const cpu = this.cpus[event.ctx.activeCpu];
    cpu.pmu.program(hwc.idx, { ctxMask: hwc.ctxMask, enabled: false, interrupt: false });
    hwc.stopped = true;
    if (flags & PERF_EF_UPDATE) this.read(event);
    cpu.rearm();
  }

  /** x86_perf_event_update: fold the counter delta since the last snapshot into the count. */
  read(event: PerfEvent): void {
    const hwc = event.hw;
    if (hwc.idx < 0) return;
    const pmu = this.cpus[event.ctx.activeCpu].pmu;
    const now = pmu.snapshot(hwc.idx);
    const span = 2 ** Math.min(pmu.counter(hwc.idx).width, 52);
    const delta = (((now - hwc.prev_count) % span) + span) % span;
    hwc.prev_count = now;
    event.count += delta;
    hwc.period_left -= delta;
  }

  /** Pick counters for `events` around the ones already taken; null if they do not all fit. */
  private assign(events: readonly PerfEvent[], taken: readonly (PerfEvent | null)[]): number[] | null {
    // Counters the host has given away (arm64 partitioning) are never the host's.
    return assignCounters(events, taken, (e) => this.arch.constraint(e, this.model), this.reserved);
  }

  private place(cpu: number, event: PerfEvent, idx: number): void {
    this.state[cpu].assigned[idx] = event;
    event.hw.idx = idx;
    const start = !event.hw.stopped;
    event.hw.stopped = true;
    if (start) this.start(event, PERF_EF_RELOAD);
  }

  /**
   * x86_perf_event_set_period: program -left so the counter overflows when
   * the period is used up; counting events use the widest period the counter
   * allows, and take an interrupt only to fold the count.
   */
  private setPeriod(event: PerfEvent, cpu: Cpu): void {
    const hwc = event.hw;
    const width = cpu.pmu.counter(hwc.idx).width;
    const maxPeriod = this.arch.maxPeriod(width);
    let left: number;
    if (is_sampling_event(event)) {
      const period = hwc.sample_period;
      left = hwc.period_left;
      if (left <= -period) {
        left = period;
        hwc.last_period = period;
      }
      if (left <= 0) {
        left += period;
        hwc.last_period = period;
      }
      hwc.period_left = left;
    } else {
      left = maxPeriod;
    }
    if (left > maxPeriod) left = maxPeriod;
    cpu.pmu.writeNegated(hwc.idx, left);
    hwc.prev_count = cpu.pmu.snapshot(hwc.idx);
  }

  /** The PMI handler (x86_pmu_handle_irq / armv8pmu_handle_irq). */
  private handleIrq(cpuIdx: number, now: number): void {
    const cpu = this.cpus[cpuIdx];
    cpu.nmiCount++;
    const st = this.state[cpuIdx];
    for (const counter of cpu.pmu.counters) {
      const idx = counter.idx;
      if (!cpu.pmu.status[idx]) continue;
      cpu.pmu.ack(idx);
      const tag = cpu.overflowTag[idx];
      cpu.overflowTag[idx] = undefined;
      const event = st.assigned[idx];
      if (!event || event.hw.stopped) continue;
      this.read(event);
      this.setPeriod(event, cpu);
      if (!is_sampling_event(event) || !this.host) continue;
      const precise = event.attr.precise_ip > 0;
      if (this.host.overflow(event, cpuIdx, now, precise ? tag : null)) this.stop(event, 0);
    }
    cpu.rearm();
  }
}
