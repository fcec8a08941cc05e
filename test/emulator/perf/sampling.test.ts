/**
 * Sampling on the real perf core: checklist items 24-26 (frequency mode,
 * throttling, lost records), plus precise samples, skid and callchains.
 */
import { describe, expect, it } from 'vitest';
import {
  makeAttr,
  PERF_CONTEXT_KERNEL,
  PERF_CONTEXT_USER,
  PERF_RECORD_MISC_EXACT_IP,
  PERF_RECORD_MISC_GUEST_KERNEL,
  PERF_SAMPLE_CALLCHAIN,
  PERF_SAMPLE_IP,
  PERF_SAMPLE_PERIOD,
  PERF_SAMPLE_TID,
  PERF_SAMPLE_TIME,
  PERF_TYPE_HARDWARE,
  PerfHwId,
  type PerfEventAttr,
} from '../../../emulator/perf/attr';
import { PerfIoc } from '../../../emulator/perf/core';
import { ExecContext } from '../../../profile/model';
import {
  PERF_RECORD_LOST,
  PERF_RECORD_SAMPLE,
  PERF_RECORD_THROTTLE,
  PERF_RECORD_UNTHROTTLE,
  type PerfRecord,
  type SampleRecord,
} from '../../../emulator/perf/records';
import type { RingBuffer } from '../../../emulator/perf/ring-buffer';
import { maxSamplesPerTick, TICK_NSEC } from '../../../emulator/perf/sysctl';
import type { Machine } from '../../../emulator/machine';
import { hostMachine } from '../../helpers/machine';

const MS = 1_000_000;
const SAMPLE = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD;

function open(m: Machine, fields: Partial<PerfEventAttr>, pages = 128): { fd: number; rb: RingBuffer } {
  const attr = makeAttr({ type: PERF_TYPE_HARDWARE, config: BigInt(PerfHwId.CPU_CYCLES), sample_type: SAMPLE, ...fields });
  const fd = m.perf.perf_event_open(attr, -1, 0, -1, 0);
  expect(fd).toBeGreaterThanOrEqual(3);
  const rb = m.perf.mmap(fd, pages);
  if (typeof rb === 'number') throw new Error(`mmap failed ${rb}`);
  return { fd, rb };
}

const samples = (records: PerfRecord[]) => records.filter((r): r is SampleRecord => r.type === PERF_RECORD_SAMPLE);

describe('sampling (checklist 24-26)', () => {
  it('24: a frequency-mode event starts at period 1 and reports the period each sample used', () => {
    const m = hostMachine({ workloads: ['spin'] });
    const { rb } = open(m, { freq: true, sample_freq: 4000, disabled: false });
    m.runUntil(200 * MS);
    const s = samples(rb.drain());
    expect(s[0].period).toBe(1);
    const periods = s.map((r) => r.period);
    expect(new Set(periods).size).toBeGreaterThan(10);
    // Converged: about cycles-per-second / 4000 (3 GHz here), and about 4000 samples a second.
    const late = s.filter((r) => r.time > 100 * MS);
    const mean = late.reduce((a, r) => a + r.period, 0) / late.length;
    expect(mean).toBeGreaterThan(0.9 * 750_000);
    expect(mean).toBeLessThan(1.1 * 750_000);
    expect(late.length).toBeGreaterThan(0.9 * 400);
    expect(late.length).toBeLessThan(1.1 * 400);
  });

  it('25: more than max_samples_per_tick samples in a tick throttle, the next tick unthrottles', () => {
    const m = hostMachine({ workloads: ['spin'] });
    const { rb } = open(m, { sample_period: 1000n });
    m.runUntil(3 * TICK_NSEC);
    const records = rb.drain();
    const throttle = records.findIndex((r) => r.type === PERF_RECORD_THROTTLE);
    const unthrottle = records.findIndex((r) => r.type === PERF_RECORD_UNTHROTTLE);
    expect(throttle).toBeGreaterThan(0);
    expect(unthrottle).toBeGreaterThan(throttle);
    const perTick = maxSamplesPerTick(m.perf.sysctl);
    const firstTick = samples(records).filter((r) => r.time < TICK_NSEC);
    expect(firstTick.length).toBe(perTick + 1);
    expect(records[unthrottle].time).toBe(TICK_NSEC);
    // The sample that crossed the limit is still written, after its THROTTLE record.
    expect(samples(records.slice(throttle, unthrottle))).toHaveLength(1);
  });

  it('26: records that do not fit are dropped and reported by a later PERF_RECORD_LOST', () => {
    const m = hostMachine({ workloads: ['spin'] });
    const { fd, rb } = open(m, { sample_period: 3_000_000n }, 1);
    m.runUntil(500 * MS);
    const first = rb.drain();
    // A 48-byte sample (header, IP, TID, TIME, PERIOD): 85 fit in one 4 KiB page.
    expect(samples(first).length).toBe(Math.floor(4096 / 48));
    const dropped = rb.totalLost;
    expect(dropped).toBeGreaterThan(300);
    m.runUntil(510 * MS);
    const after = rb.drain();
    expect(after[0].type).toBe(PERF_RECORD_LOST);
    expect(after[0].type === PERF_RECORD_LOST && after[0].lost).toBe(dropped);
    expect(samples(after).length).toBeGreaterThan(5);
    expect(m.perf.eventOf(fd)?.lost_samples).toBe(dropped);
  });

  it('the REFRESH budget disables the event after that many overflows', () => {
    const m = hostMachine({ workloads: ['spin'] });
    const { fd, rb } = open(m, { sample_period: 3_000_000n, disabled: true });
    expect(m.perf.ioctl(fd, PerfIoc.REFRESH, 3)).toBe(0);
    m.runUntil(100 * MS);
    expect(samples(rb.drain())).toHaveLength(3);
    expect(m.perf.eventOf(fd)?.state).toBe(-1);
  });

  it('precise samples carry EXACT_IP; callchains put kernel frames after PERF_CONTEXT_KERNEL', () => {
    const m = hostMachine({ workloads: ['compile'] });
    const { rb } = open(m, { sample_period: 1_000_003n, precise_ip: 2, sample_type: SAMPLE | PERF_SAMPLE_CALLCHAIN });
    m.runUntil(300 * MS);
    const s = samples(rb.drain());
    expect(s.length).toBeGreaterThan(100);
    expect(s.every((r) => (r.misc & PERF_RECORD_MISC_EXACT_IP) !== 0)).toBe(true);
    const kernel = s.filter((r) => (r.misc & 7) === 1 && r.pid !== 0);
    expect(kernel.length).toBeGreaterThan(0);
    for (const r of kernel) {
      const chain = Array.from(r.callchain ?? []);
      expect(chain[0]).toBe(PERF_CONTEXT_KERNEL);
      expect(chain[1]).toBe(r.ip);
      expect(chain).toContain(PERF_CONTEXT_USER);
      expect(m.symbols.get(chain[chain.indexOf(PERF_CONTEXT_USER) + 1]).kernel).toBe(false);
    }
  });

  it('the same scenario and seed give the same samples; another seed does not', () => {
    const run = (seed: number) => {
      const m = hostMachine({ workloads: ['compile:2'], cpus: 2, seed });
      const { rb } = open(m, { freq: true, sample_freq: 1000 });
      m.runUntil(200 * MS);
      return samples(rb.drain()).map((r) => `${r.time}:${r.tid}:${r.ip}:${r.period}`);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });
});

describe('samples in guest mode (checklist 27)', () => {
  it('carry the guest cpumode and the guest IP, and a callchain of context markers only', () => {
    // No workload: nothing but this test decides what CPU 0 runs.
    const m = hostMachine();
    const { rb } = open(m, { sample_period: 3_000_000n, sample_type: SAMPLE | PERF_SAMPLE_CALLCHAIN });
    m.runUntil(20 * MS);
    // Put CPU 0 in guest kernel mode with a guest function as the running code.
    const guestFn = m.symbols.intern('native_safe_halt', '[guest.kernel.kallsyms]', true);
    const tag = { pid: 4242, tid: 4243, ctx: ExecContext.GuestKernel, stack: Int32Array.of(guestFn), kernelFrom: 0 };
    const rates = new Float64Array(7).fill(0);
    rates[0] = 3;
    m.cpus[0].execute(20 * MS, ExecContext.GuestKernel, rates, tag, 40 * MS);
    m.runUntil(30 * MS);
    const guest = samples(rb.drain());
    expect(guest.length).toBeGreaterThan(5);
    for (const r of guest) {
      expect(r.misc & 7).toBe(PERF_RECORD_MISC_GUEST_KERNEL);
      expect(r.ip).toBe(guestFn);
      expect(Array.from(r.callchain ?? [])).toEqual([PERF_CONTEXT_KERNEL, PERF_CONTEXT_USER]);
    }
  });
});
