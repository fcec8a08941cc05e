/**
 * The software PMUs (kernel/events/core.c perf_swevent, perf_cpu_clock,
 * perf_task_clock): counts the kernel feeds from its own hooks (context
 * switches, migrations, page faults) and the two clocks, which sample from an
 * hrtimer. Software groups always fit and never rotate.
 */
import type { ExecContext } from '../../profile/model';
import { type EventQueue, SimTimer } from '../sim/event-queue';
import { PERF_COUNT_SW_MAX, PERF_TYPE_SOFTWARE, PerfSwId } from './attr';
import { contextMask } from './cpu-pmu';
import { Errno } from './errno';
import type { PerfEvent } from './event';
import { is_sampling_event } from './overflow';
import { PERF_EF_START, PERF_EF_UPDATE, type Pmu, type PmuCapabilities } from './pmu';
import { NSEC_PER_SEC } from './sysctl';

export interface SwPmuHost {
  readonly queue: EventQueue;
  now(): number;
  /** What the CPU runs: its context, and whether it is the idle task. */
  cpuState(cpu: number): { ctx: ExecContext; idle: boolean };
  overflow(event: PerfEvent, cpu: number, now: number): boolean;
}

/** The shortest hrtimer period the kernel lets a clock event sample at (10 µs). */
const MIN_CLOCK_PERIOD_NS = 10_000;

export class SwPmu implements Pmu {
  readonly name = 'software';
  readonly types = [PERF_TYPE_SOFTWARE] as const;
  readonly capabilities: PmuCapabilities = { noInterrupt: false, noExclude: false, software: true, maxPrecise: 0 };
  muxIntervalMs = 4;
  /** Active counting events per CPU, by software event id. */
  private readonly active: Map<number, PerfEvent[]>[];
  private readonly clockStart = new Map<PerfEvent, number>();
  private readonly timers = new Map<PerfEvent, SimTimer>();

  constructor(
    private readonly host: SwPmuHost,
    nrCpus: number,
  ) {
    this.active = Array.from({ length: nrCpus }, () => new Map());
  }

  eventInit(event: PerfEvent): number {
    const id = Number(event.attr.config);
    if (event.attr.config >= BigInt(PERF_COUNT_SW_MAX)) return -Errno.ENOENT;
    event.hw.event = id;
    event.hw.ctxMask = contextMask(event.attr);
    if (isClock(id) && is_sampling_event(event)) {
      // perf_swevent_init_hrtimer: a frequency becomes a fixed period in ns,
      // and the event is a period-mode event from then on.
      if (event.attr.freq) {
        event.attr.sample_period = BigInt(Math.floor(NSEC_PER_SEC / event.attr.sample_freq));
        event.attr.freq = false;
      }
      event.hw.sample_period = Math.max(Number(event.attr.sample_period), MIN_CLOCK_PERIOD_NS);
      event.hw.last_period = event.hw.sample_period;
      event.hw.period_left = event.hw.sample_period;
    }
    return 0;
  }

  validateGroup(): boolean {
    return true;
  }

  startTxn(): void {}

  commitTxn(): number {
    return 0;
  }

  cancelTxn(): void {}

  add(event: PerfEvent, flags: number): number {
    event.hw.stopped = true;
    const byId = this.active[event.ctx.activeCpu];
    const list = byId.get(event.hw.event) ?? [];
    list.push(event);
    byId.set(event.hw.event, list);
    if (flags & PERF_EF_START) this.start(event);
    return 0;
  }

  del(event: PerfEvent): void {
    this.stop(event, PERF_EF_UPDATE);
    const list = this.active[event.ctx.activeCpu].get(event.hw.event);
    if (list) list.splice(list.indexOf(event), 1);
  }

  start(event: PerfEvent): void {
    if (!event.hw.stopped) return;
    event.hw.stopped = false;
    if (!isClock(event.hw.event)) return;
    this.clockStart.set(event, this.host.now());
    if (is_sampling_event(event)) this.armClock(event, this.host.now() + event.hw.sample_period);
  }

  stop(event: PerfEvent, flags: number): void {
    if (event.hw.stopped) return;
    if (flags & PERF_EF_UPDATE) this.read(event);
    event.hw.stopped = true;
    this.clockStart.delete(event);
    this.timers.get(event)?.cancel();
  }

  /** Clocks count nanoseconds while they are on; other events count at their hooks. */
  read(event: PerfEvent): void {
    const since = this.clockStart.get(event);
    if (since === undefined) return;
    const now = this.host.now();
    event.count += now - since;
    this.clockStart.set(event, now);
  }

  /** perf_sw_event: `nr` occurrences of a software event on this CPU, in this context. */
  perf_sw_event(id: number, nr: number, cpu: number, ctx: ExecContext): void {
    const list = this.active[cpu].get(id);
    if (!list || list.length === 0) return;
    const bit = 1 << ctx;
    for (const event of [...list]) {
      if (event.hw.stopped || (event.hw.ctxMask & bit) === 0) continue;
      event.count += nr;
      if (!is_sampling_event(event)) continue;
      event.hw.period_left -= nr;
      while (event.hw.period_left <= 0 && !event.hw.stopped) {
        event.hw.period_left += event.hw.sample_period;
        event.hw.last_period = event.hw.sample_period;
        if (this.host.overflow(event, cpu, this.host.now())) this.stop(event, 0);
      }
    }
  }

  /** perf_swevent_hrtimer: sample what runs unless the exclude bits say otherwise. */
  private armClock(event: PerfEvent, at: number): void {
    let timer = this.timers.get(event);
    if (!timer) {
      timer = new SimTimer(this.host.queue, (now) => this.clockTick(event, now));
      this.timers.set(event, timer);
    }
    timer.arm(at);
  }

  private clockTick(event: PerfEvent, now: number): void {
    if (event.hw.stopped) return;
    this.read(event);
    const cpu = event.ctx.activeCpu;
    const state = this.host.cpuState(cpu);
    const excluded = (event.hw.ctxMask & (1 << state.ctx)) === 0 || (event.attr.exclude_idle && state.idle);
    let stop = false;
    if (!excluded) {
      event.hw.last_period = event.hw.sample_period;
      stop = this.host.overflow(event, cpu, now);
    }
    if (stop) this.stop(event, 0);
    else this.armClock(event, now + event.hw.sample_period);
  }
}

function isClock(id: number): boolean {
  return id === PerfSwId.CPU_CLOCK || id === PerfSwId.TASK_CLOCK;
}
