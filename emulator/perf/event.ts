/**
 * struct perf_event and struct perf_event_context, and the one function that
 * changes an event's state (perf_event_set_state), which also brings
 * time_enabled / time_running up to date, so the two can never disagree.
 */
import type { PerfEventAttr } from './attr';
import type { Pmu } from './pmu';
import type { RingBuffer } from './ring-buffer';

/** enum perf_event_state (newest values). */
export const PerfEventState = {
  DEAD: -5,
  REVOKED: -4,
  EXIT: -3,
  ERROR: -2,
  OFF: -1,
  INACTIVE: 0,
  ACTIVE: 1,
} as const;
export type PerfEventState = (typeof PerfEventState)[keyof typeof PerfEventState];

export const STATE_NAMES: Record<number, string> = {
  [-5]: 'DEAD',
  [-4]: 'REVOKED',
  [-3]: 'EXIT',
  [-2]: 'ERROR',
  [-1]: 'OFF',
  0: 'INACTIVE',
  1: 'ACTIVE',
};

/** struct hw_perf_event: what the PMU driver keeps per event. */
export interface HwPerfEvent {
  /** Counter index, -1 when not on a counter. */
  idx: number;
  /** Decoded event (HwEvent) for hardware events, or the software event id. */
  event: number;
  /** Bit per ExecContext in which the event counts (from the exclude_* bits). */
  ctxMask: number;
  sample_period: number;
  last_period: number;
  /** Events left until the next sample (the kernel's period_left). */
  period_left: number;
  /** Samples since the last tick; MAX_INTERRUPTS once throttled. */
  interrupts: number;
  freq_time_stamp: number;
  freq_count_stamp: number;
  /** The counter snapshot the last update started from. */
  prev_count: number;
  stopped: boolean;
  /** Software timers (cpu-clock/task-clock sampling): next expiry. */
  timerExpires: number;
}

export type OverflowHandler = (event: PerfEvent, now: number) => void;

export interface Owner {
  /** An event a task opened through perf_event_open, or one the kernel created for itself. */
  kind: 'user' | 'kernel';
}

export class PerfEvent {
  state: PerfEventState = PerfEventState.OFF;
  /** local64 count: events counted so far (not scaled). */
  count = 0;
  total_time_enabled = 0;
  total_time_running = 0;
  /** Context time at the last time update. */
  tstamp = 0;
  group_leader: PerfEvent = this;
  readonly sibling_list: PerfEvent[] = [];
  /** Software-only group (PERF_EV_CAP_SOFTWARE on the whole group). */
  groupIsSoftware: boolean;
  ctx!: PerfEventContext;
  readonly hw: HwPerfEvent = {
    idx: -1,
    event: -1,
    ctxMask: 0,
    sample_period: 0,
    last_period: 0,
    period_left: 0,
    interrupts: 0,
    freq_time_stamp: 0,
    freq_count_stamp: 0,
    prev_count: 0,
    stopped: true,
    timerExpires: -1,
  };
  rb: RingBuffer | null = null;
  lost_samples = 0;
  /** PERF_EVENT_IOC_REFRESH budget: disable after this many overflows (0 = unlimited). */
  event_limit = 0;
  overflow_handler: OverflowHandler | null = null;
  /** Kernel-internal owners (NMI watchdog, KVM) may attach state here. */
  context: unknown = null;
  /** Position in its group list, for rotation (the kernel's group_index). */
  group_index = 0;

  constructor(
    readonly id: number,
    readonly attr: PerfEventAttr,
    readonly pmu: Pmu,
    /** -1 for any CPU (task events only). */
    readonly cpu: number,
    readonly owner: Owner,
  ) {
    this.groupIsSoftware = pmu.capabilities.software;
  }

  get isGroupLeader(): boolean {
    return this.group_leader === this;
  }

  /** Leader first, then siblings in order. */
  *members(): Generator<PerfEvent> {
    yield this;
    yield* this.sibling_list;
  }
}

/**
 * struct perf_event_context: per CPU (cpu >= 0, task null) or per task. Its
 * clock runs while it is active: always for an online CPU's context, and
 * only while the task is on a CPU for a task's.
 */
export class PerfEventContext {
  readonly pinned_groups: PerfEvent[] = [];
  readonly flexible_groups: PerfEvent[] = [];
  is_active = false;
  time = 0;
  timestamp = 0;
  /** Set when a flexible group could not go on (arms the mux timer). */
  rotate_necessary = false;
  /**
   * A mediated vPMU's guest context is loaded on this context's CPU:
   * exclude_guest events are off the PMU and their clock stands still
   * (timeguest accumulates what they must not see; tip 4593b4b6e218).
   */
  guestLoaded = false;
  timeguest = 0;
  /** The CPU a task context is running on, or the context's own CPU. */
  activeCpu: number;
  nextGroupIndex = 0;

  constructor(
    readonly cpu: number,
    readonly taskId: number | null,
  ) {
    this.activeCpu = cpu;
  }

  update_context_time(now: number): void {
    if (this.is_active) {
      this.time += now - this.timestamp;
      if (this.guestLoaded) this.timeguest += now - this.timestamp;
    }
    this.timestamp = now;
  }

  groupsOf(pinned: boolean): PerfEvent[] {
    return pinned ? this.pinned_groups : this.flexible_groups;
  }
}

/** Whether an event stops, time included, while a mediated guest owns the PMU. */
export function is_exclude_guest_hw(event: PerfEvent): boolean {
  return event.attr.exclude_guest && !event.pmu.capabilities.software;
}

/** The clock an event's times follow: its context's, minus guest time for exclude_guest events. */
export function event_clock(event: PerfEvent): number {
  return is_exclude_guest_hw(event) ? event.ctx.time - event.ctx.timeguest : event.ctx.time;
}

/** Bring an event's times up to its context's clock (perf_event_update_time). */
export function perf_event_update_time(event: PerfEvent): void {
  const now = event_clock(event);
  const delta = now - event.tstamp;
  if (delta > 0) {
    if (event.state >= PerfEventState.INACTIVE) event.total_time_enabled += delta;
    if (event.state === PerfEventState.ACTIVE) event.total_time_running += delta;
  }
  event.tstamp = now;
}

/** The one writer of event.state (perf_event_set_state). The context's time must be current. */
export function perf_event_set_state(event: PerfEvent, state: PerfEventState): void {
  if (event.state === state) return;
  perf_event_update_time(event);
  event.state = state;
}
