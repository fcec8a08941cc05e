/**
 * What happens when an event overflows (kernel/events/core.c
 * __perf_event_overflow and friends): interrupt accounting and throttling,
 * the frequency-mode period adjustment, the REFRESH budget, and the default
 * overflow handler that writes a PERF_RECORD_SAMPLE.
 */
import { PERF_FORMAT_GROUP, PERF_SAMPLE_CALLCHAIN, PERF_SAMPLE_ID, PERF_SAMPLE_IDENTIFIER, PERF_SAMPLE_READ } from './attr';
import type { PerfEvent} from './event';
import { PerfEventState } from './event';
import { PERF_RECORD_SAMPLE, PERF_RECORD_THROTTLE, PERF_RECORD_UNTHROTTLE, sampleSize, THROTTLE_SIZE } from './records';
import { MAX_INTERRUPTS, NSEC_PER_SEC, TICK_NSEC } from './sysctl';

/** What the kernel knows about the interrupted code, for a sample. */
export interface SampleRegs {
  pid: number;
  tid: number;
  /** PERF_RECORD_MISC cpumode. */
  cpumode: number;
  exact: boolean;
  ip: number;
  /** The callchain as perf_callchain() would build it, or null when not asked for. */
  callchain: Int32Array | null;
}

export function is_sampling_event(event: PerfEvent): boolean {
  return event.attr.freq ? event.attr.sample_freq !== 0 : event.attr.sample_period !== 0n;
}

/**
 * perf_calculate_period + perf_adjust_period: move the period toward the one
 * that would give sample_freq, through a low-pass filter of 1/8, never 0.
 * Returns true when period_left was reset (the caller reloads the counter).
 */
export function perf_adjust_period(event: PerfEvent, nsec: number, count: number): boolean {
  const hwc = event.hw;
  const period = Math.floor((count * NSEC_PER_SEC) / (nsec * event.attr.sample_freq));
  let delta = period - hwc.sample_period;
  delta = delta >= 0 ? delta + 7 : delta - 7;
  delta = Math.trunc(delta / 8);
  let sample_period = hwc.sample_period + delta;
  if (sample_period <= 0) sample_period = 1;
  hwc.sample_period = sample_period;
  if (hwc.period_left > 8 * sample_period) {
    hwc.period_left = 0;
    return true;
  }
  return false;
}

/** What an overflow needs from its perf core; one per CPU, reused (this is the sampling hot path). */
export interface OverflowEnv {
  now: number;
  cpu: number;
  /** The CPU's execTag at a precise overflow, null for "what runs now". */
  tag: unknown;
  maxSamplesPerTick: number;
  /** perf_event_disable_inatomic: the REFRESH budget ran out. */
  disable(event: PerfEvent): void;
  regs(event: PerfEvent, env: OverflowEnv): SampleRegs;
  readGroup(leader: PerfEvent): { id: number; value: number }[];
}

/**
 * __perf_event_overflow. Returns true when the caller must stop the event
 * (it was throttled, or its REFRESH budget is spent).
 */
export function perf_event_overflow(event: PerfEvent, env: OverflowEnv): boolean {
  if (!is_sampling_event(event)) return false;
  let ret = account_interrupt(event, env);
  if (event.event_limit > 0) {
    event.event_limit--;
    if (event.event_limit === 0) {
      ret = true;
      env.disable(event);
    }
  }
  // Kernel owners (the NMI watchdog, KVM) install their own handler; the
  // default one is perf_event_output.
  if (event.overflow_handler) event.overflow_handler(event, env.now);
  else perf_event_output(event, env);
  return ret;
}

function account_interrupt(event: PerfEvent, env: OverflowEnv): boolean {
  const hwc = event.hw;
  let throttled = false;
  hwc.interrupts++;
  if (hwc.interrupts > env.maxSamplesPerTick && hwc.interrupts !== MAX_INTERRUPTS) {
    hwc.interrupts = MAX_INTERRUPTS;
    perf_log_throttle(event, env.now, env.cpu, false);
    throttled = true;
  }
  if (event.attr.freq) {
    const delta = env.now - hwc.freq_time_stamp;
    hwc.freq_time_stamp = env.now;
    if (delta > 0 && delta < 2 * TICK_NSEC) perf_adjust_period(event, delta, hwc.last_period);
  }
  return throttled;
}

export function perf_log_throttle(event: PerfEvent, now: number, cpu: number, enable: boolean): void {
  event.rb?.write(
    { type: enable ? PERF_RECORD_UNTHROTTLE : PERF_RECORD_THROTTLE, id: event.id, time: now, cpu, size: THROTTLE_SIZE },
    event.id,
    now,
  );
}

function perf_event_output(event: PerfEvent, env: OverflowEnv): void {
  const rb = event.rb;
  if (!rb) return;
  const regs = env.regs(event, env);
  const sampleType = event.attr.sample_type;
  const read =
    sampleType & PERF_SAMPLE_READ && event.attr.read_format & PERF_FORMAT_GROUP
      ? env.readGroup(event.group_leader)
      : null;
  const callchain = sampleType & PERF_SAMPLE_CALLCHAIN ? regs.callchain : null;
  const record = {
    type: PERF_RECORD_SAMPLE as typeof PERF_RECORD_SAMPLE,
    misc: regs.cpumode | (regs.exact ? 1 << 14 : 0),
    id: event.id,
    ip: regs.ip,
    pid: regs.pid,
    tid: regs.tid,
    time: env.now,
    cpu: env.cpu,
    period: event.hw.last_period,
    callchain,
    read,
    machine_pid: 0,
    vcpu: -1,
    size: sampleSize({
      callchainEntries: callchain ? callchain.length : 0,
      readValues: read ? read.length : 0,
      hasId: (sampleType & (PERF_SAMPLE_ID | PERF_SAMPLE_IDENTIFIER)) !== 0n,
    }),
  };
  if (!rb.write(record, event.id, env.now)) event.lost_samples++;
}

/** Sampling events that are on a PMU now and may be throttled or re-periodized at the tick. */
export function tickable(event: PerfEvent): boolean {
  return event.state === PerfEventState.ACTIVE && is_sampling_event(event);
}
