/**
 * One CPU's PMU hardware: counters that count decoded events in the execution
 * contexts their selector allows, wrap at their exact width, set an overflow
 * status bit and raise the PMU interrupt when enabled to. Register-level
 * names (GLOBAL_CTRL, PMCNTENSET...) belong to the per-architecture views that
 * program it; this is what those registers drive.
 *
 * A counter value is kept as two integers, `hi * 2^32 + lo`, so that 64-bit
 * counters (arm64's PMCCNTR) stay exact: a JavaScript number holds only 53 bits.
 */
import { HW_EVENT_NONE } from './events';
import { MAX_COUNTER_IDX, type PmuModel } from './pmu-model';

const TWO32 = 4294967296;

export interface HwCounter {
  readonly idx: number;
  readonly width: number;
  /** A fixed counter's event is wired; a GP counter's comes from its selector. */
  readonly fixed: boolean;
  /** Decoded event (HwEvent) or HW_EVENT_NONE. */
  event: number;
  /** Bit per ExecContext in which the counter counts. */
  ctxMask: number;
  /** The counter's own enable (EN bit / PMCNTENSET bit) and the global enable, both needed. */
  enabled: boolean;
  globalEnabled: boolean;
  /** Raise the PMU interrupt on overflow (INT bit / PMINTENSET). */
  interrupt: boolean;
  /** The value is hi * 2^32 + lo; hiSpan = 2^(width-32) (0 for narrow counters). */
  lo: number;
  hi: number;
  readonly hiSpan: number;
}

export class HwPmu {
  readonly counters: HwCounter[] = [];
  /** Counters by index (sparse: fixed counters sit at 31 or 32..). */
  readonly byIdx: (HwCounter | undefined)[] = new Array(MAX_COUNTER_IDX).fill(undefined);
  /** Overflow status bits (GLOBAL_STATUS / PMOVSSET), one flag per counter index. */
  readonly status = new Uint8Array(MAX_COUNTER_IDX);
  /** Set when an overflow wants an interrupt; the CPU delivers it and clears this. */
  interruptPending = false;
  /** Counters that currently count something: the hot path walks only these. */
  private live: HwCounter[] = [];

  constructor(readonly model: PmuModel) {
    for (let i = 0; i < model.gpCounters; i++) this.addCounter(i, model.gpWidth, false, HW_EVENT_NONE);
    for (const f of model.fixed) this.addCounter(f.idx, f.width, true, f.event);
  }

  private addCounter(idx: number, width: number, fixed: boolean, event: number): void {
    const c: HwCounter = {
      idx,
      width,
      fixed,
      event,
      ctxMask: 0,
      enabled: false,
      globalEnabled: false,
      interrupt: false,
      lo: 0,
      hi: 0,
      hiSpan: width > 32 ? 2 ** (width - 32) : 0,
    };
    this.counters.push(c);
    this.byIdx[idx] = c;
  }

  counter(idx: number): HwCounter {
    const c = this.byIdx[idx];
    if (!c) throw new Error(`no PMU counter ${idx}`);
    return c;
  }

  /** Reprogram a counter; call `refresh()` after a batch of changes. */
  program(
    idx: number,
    cfg: { event?: number; ctxMask: number; enabled: boolean; interrupt: boolean; globalEnabled?: boolean },
  ): void {
    const c = this.counter(idx);
    if (!c.fixed && cfg.event !== undefined) c.event = cfg.event;
    c.ctxMask = cfg.ctxMask;
    c.enabled = cfg.enabled;
    c.interrupt = cfg.interrupt;
    if (cfg.globalEnabled !== undefined) c.globalEnabled = cfg.globalEnabled;
    this.refresh();
  }

  refresh(): void {
    this.live = this.counters.filter((c) => c.enabled && c.globalEnabled && c.event !== HW_EVENT_NONE);
  }

  /** Write a counter; values at or above 2^width are truncated as the hardware does. */
  write(idx: number, value: bigint): void {
    const c = this.counter(idx);
    const v = BigInt.asUintN(c.width, value);
    c.lo = Number(v & 0xffffffffn);
    c.hi = Number(v >> 32n);
  }

  /**
   * Write 2^width - left (that is, -left): how drivers arm a period. The
   * number path of write(), for the sampling hot path; 0 < left <= 2^width.
   */
  writeNegated(idx: number, left: number): void {
    const c = this.counter(idx);
    if (c.width <= 32) {
      c.lo = (2 ** c.width - left) % 2 ** c.width;
      c.hi = 0;
      return;
    }
    const loPart = left % TWO32;
    const hiPart = Math.floor(left / TWO32);
    if (loPart === 0) {
      c.lo = 0;
      c.hi = (c.hiSpan - hiPart) % c.hiSpan;
    } else {
      c.lo = TWO32 - loPart;
      c.hi = c.hiSpan - hiPart - 1;
    }
  }

  read(idx: number): bigint {
    const c = this.counter(idx);
    return (BigInt(c.hi) << 32n) | BigInt(c.lo);
  }

  /**
   * The value modulo 2^52, exact: drivers take deltas between two snapshots,
   * which are right whenever fewer than 2^52 events passed in between.
   */
  snapshot(idx: number): number {
    const c = this.counter(idx);
    return (c.hi % 1048576) * TWO32 + c.lo;
  }

  /** Events until the counter wraps (exact up to 2^53). */
  untilOverflow(c: HwCounter): number {
    if (c.width <= 32) return 2 ** c.width - c.lo;
    return (c.hiSpan - c.hi - 1) * TWO32 + (TWO32 - c.lo);
  }

  /** Add the events of the last interval (delta[HwEvent]) that ran in `ctx`. True if a counter wrapped. */
  count(delta: Float64Array, ctx: number): boolean {
    const bit = 1 << ctx;
    const live = this.live;
    let wrapped = false;
    for (let i = 0; i < live.length; i++) {
      const c = live[i];
      if ((c.ctxMask & bit) === 0) continue;
      const d = delta[c.event];
      if (d > 0 && this.add(c, d)) wrapped = true;
    }
    return wrapped;
  }

  /** Counter indices whose overflow status bit is set, lowest first. */
  overflowed(): number[] {
    const out: number[] = [];
    for (const c of this.counters) if (this.status[c.idx]) out.push(c.idx);
    return out;
  }

  /** Clear a counter's overflow status bit (the driver's ack). */
  ack(idx: number): void {
    this.status[idx] = 0;
  }

  /** Counters that count the given context now (the CPU uses them to predict overflows). */
  liveCounters(): readonly HwCounter[] {
    return this.live;
  }

  private add(c: HwCounter, d: number): boolean {
    let wrapped = false;
    if (c.width <= 32) {
      const span = 2 ** c.width;
      let v = c.lo + d;
      if (v >= span) {
        v %= span;
        wrapped = true;
      }
      c.lo = v;
    } else {
      let lo = c.lo + d;
      if (lo >= TWO32) {
        const carry = Math.floor(lo / TWO32);
        lo -= carry * TWO32;
        c.hi += carry;
      }
      c.lo = lo;
      if (c.hi >= c.hiSpan) {
        c.hi %= c.hiSpan;
        wrapped = true;
      }
    }
    if (!wrapped) return false;
    this.status[c.idx] = 1;
    if (c.interrupt) this.interruptPending = true;
    return true;
  }
}
