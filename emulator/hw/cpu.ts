/**
 * A physical CPU: what it executes now (an execution context and the event
 * rates of the code running, or halted), its PMU, and the ground truth.
 *
 * Counting is piecewise linear. While one piece of code runs ("a segment"),
 * event e has occurred floor(rate[e] * (t - segStart)) times at time t. Every
 * consumer (ground truth and each PMU counter) is fed from the same deltas of
 * that one function, so a counter that counts everything equals the truth
 * exactly, and overflows can be predicted instead of polled.
 */
import { ExecContext } from '../../profile/model';
import type { EventQueue } from '../sim/event-queue';
import { SimTimer } from '../sim/event-queue';
import type { EventRates } from '../workload/program';
import { HW_EVENT_COUNT, HwEvent } from './events';
import type { PmuModel } from './pmu-model';
import { HwPmu } from './pmu';

/** Contexts the hardware can be in (ExecContext without Unknown). */
export const HW_CONTEXTS = 5;

/** Nanoseconds between a counter overflow and its interrupt reaching the handler (skid). */
export const PMI_LATENCY_NS = 40;

export class Cpu {
  readonly pmu: HwPmu;
  ctx: ExecContext = ExecContext.HostKernel;
  /** In the idle loop's HLT/WFI: no core events count. */
  halted = true;
  /** truth[ctx * HW_EVENT_COUNT + event]: every event that really happened. */
  readonly truth = new Float64Array(HW_CONTEXTS * HW_EVENT_COUNT);
  /** Nanoseconds spent in each context, and halted. */
  readonly timeIn = new Float64Array(HW_CONTEXTS);
  haltedTime = 0;
  /**
   * What runs now, as the OS describes it (opaque here). A counter that
   * overflows keeps the tag of the code it overflowed in: that is what a
   * precise (PEBS-like) sample reports, while an imprecise one reports what
   * runs when the interrupt arrives, PMI_LATENCY_NS later (skid).
   */
  execTag: unknown = null;
  readonly overflowTag: unknown[] = [];
  /** /proc/interrupts: host PMU interrupts (NMIs on x86), and guest PMIs on the mediated vector (VPMI). */
  nmiCount = 0;
  vpmiCount = 0;
  /** Called at interrupt delivery with the CPU synced (the PMU driver's handle_irq). */
  pmiHandler: ((now: number) => void) | null = null;

  private readonly rates = new Float64Array(HW_EVENT_COUNT);
  private readonly segBase = new Float64Array(HW_EVENT_COUNT);
  private readonly delta = new Float64Array(HW_EVENT_COUNT);
  private segStart = 0;
  /** A second truth the running code feeds (a guest's own, by context), or null. */
  private truthSink: Float64Array | null = null;
  /** When the running code is known to change (the caller executes again then). */
  private segEnd = Infinity;
  private lastSync = 0;
  private readonly overflowTimer: SimTimer;
  private readonly pmiTimer: SimTimer;

  constructor(
    readonly id: number,
    readonly model: PmuModel,
    queue: EventQueue,
  ) {
    this.pmu = new HwPmu(model);
    this.overflowTimer = new SimTimer(queue, (now) => this.onPredictedOverflow(now));
    this.pmiTimer = new SimTimer(queue, (now) => this.deliverPmi(now));
  }

  /** Bring truth and counters up to `now`. */
  sync(now: number): void {
    const dt = now - this.lastSync;
    if (dt <= 0) return;
    if (this.halted) this.haltedTime += dt;
    else this.timeIn[this.ctx] += dt;
    this.lastSync = now;
    if (this.halted) return;
    const span = now - this.segStart;
    const { rates, segBase, delta, truth } = this;
    const base = this.ctx * HW_EVENT_COUNT;
    let any = false;
    for (let e = 0; e < HW_EVENT_COUNT; e++) {
      const c = Math.floor(rates[e] * span);
      const d = c - segBase[e];
      delta[e] = d;
      if (d > 0) {
        segBase[e] = c;
        truth[base + e] += d;
        if (this.truthSink) this.truthSink[base + e] += d;
        any = true;
      }
    }
    if (!any) return;
    if (this.pmu.count(delta, this.ctx)) for (const idx of this.pmu.overflowed()) this.overflowTag[idx] ??= this.execTag;
    if (this.pmu.interruptPending && !this.pmiTimer.armed) this.pmiTimer.arm(now + PMI_LATENCY_NS);
  }

  /** Start running code with these rates in `ctx` (null rates: halt). */
  execute(
    now: number,
    ctx: ExecContext,
    rates: Float64Array | null,
    tag: unknown,
    segEnd = Infinity,
    truthSink: Float64Array | null = null,
  ): void {
    this.sync(now);
    this.segEnd = segEnd;
    this.truthSink = truthSink;
    this.execTag = tag;
    this.segStart = now;
    this.segBase.fill(0);
    this.ctx = ctx;
    this.halted = rates === null;
    if (rates) this.rates.set(rates);
    this.rearm();
  }

  /** Counters were reprogrammed: predict the next overflow again. */
  rearm(): void {
    const at = this.predictOverflow();
    // An overflow after the segment ends is found by the sync at its end.
    if (at >= this.segEnd) this.overflowTimer.cancel();
    else if (at !== this.overflowTimer.expires) this.overflowTimer.arm(at);
  }

  truthOf(ctx: ExecContext, event: HwEvent): number {
    return this.truth[ctx * HW_EVENT_COUNT + event];
  }

  private predictOverflow(): number {
    if (this.halted) return Infinity;
    const bit = 1 << this.ctx;
    let best = Infinity;
    for (const c of this.pmu.liveCounters()) {
      if (!c.interrupt || (c.ctxMask & bit) === 0) continue;
      const rate = this.rates[c.event];
      if (!(rate > 0)) continue;
      const target = this.segBase[c.event] + this.pmu.untilOverflow(c);
      // Wake when the interrupt arrives, PMI_LATENCY_NS after the overflow itself.
      const at = this.segStart + Math.ceil(target / rate) + PMI_LATENCY_NS;
      if (at < best) best = at;
    }
    return best <= this.lastSync ? this.lastSync + 1 : best;
  }

  /**
   * The predicted interrupt time: the overflow happened PMI_LATENCY_NS ago
   * (or rounding put it a nanosecond later, then the next prediction finds it).
   */
  private onPredictedOverflow(now: number): void {
    this.sync(now);
    if (this.pmu.interruptPending) {
      this.pmiTimer.cancel();
      this.deliverPmi(now);
      return;
    }
    this.rearm();
  }

  private deliverPmi(now: number): void {
    this.sync(now);
    this.pmu.interruptPending = false;
    this.pmiHandler?.(now);
    this.rearm();
  }
}

/** Per-nanosecond event rates of code with these properties on this PMU model. */
export function ratesFor(model: PmuModel, r: EventRates, out: Float64Array): Float64Array {
  const cycles = model.cyclesPerNs;
  const insns = cycles * r.ipc;
  const branches = insns * r.branches;
  const refs = insns * r.cache_refs;
  out[HwEvent.CYCLES] = cycles;
  out[HwEvent.INSTRUCTIONS] = insns;
  out[HwEvent.REF_CYCLES] = model.refCyclesPerNs;
  out[HwEvent.BRANCHES] = branches;
  out[HwEvent.BRANCH_MISSES] = branches * r.branch_miss;
  out[HwEvent.CACHE_REFERENCES] = refs;
  out[HwEvent.CACHE_MISSES] = refs * r.cache_miss;
  return out;
}
