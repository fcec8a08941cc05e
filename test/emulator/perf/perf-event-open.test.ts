/**
 * perf_event_open(2) validation on the real perf core: checklist items 1-11
 * of the shared semantics reference, each an errno the kernel returns.
 */
import { describe, expect, it } from 'vitest';
import {
  makeAttr,
  PERF_ATTR_SIZE_KERNEL,
  PERF_FORMAT_GROUP,
  PERF_FORMAT_ID,
  PERF_FORMAT_TOTAL_TIME_ENABLED,
  PERF_FORMAT_TOTAL_TIME_RUNNING,
  PERF_SAMPLE_CALLCHAIN,
  PERF_SAMPLE_IP,
  PERF_SAMPLE_READ,
  PERF_SAMPLE_TID,
  PERF_TYPE_HARDWARE,
  PERF_TYPE_RAW,
  PerfHwId,
  type PerfEventAttr,
} from '../../../emulator/perf/attr';
import { Errno } from '../../../emulator/perf/errno';
import { hostMachine } from '../../helpers/machine';

const cycles = (fields: Partial<PerfEventAttr> = {}) =>
  makeAttr({ type: PERF_TYPE_HARDWARE, config: BigInt(PerfHwId.CPU_CYCLES), ...fields });
const USER = { perfmon: false };

describe('perf_event_open validation (checklist 1-11)', () => {
  it('1: attr.size below VER0 or above a page fails E2BIG and gets the kernel size written back', () => {
    const { perf } = hostMachine();
    for (const size of [32, 4097]) {
      const attr = cycles({ size });
      expect(perf.perf_event_open(attr, -1, 0, -1, 0)).toBe(-Errno.E2BIG);
      expect(attr.size).toBe(PERF_ATTR_SIZE_KERNEL);
    }
    expect(perf.perf_event_open(cycles({ size: 0 }), -1, 0, -1, 0)).toBeGreaterThanOrEqual(3);
  });

  it('2: a larger attr with a non-zero tail fails E2BIG, an all-zero tail is accepted', () => {
    const { perf } = hostMachine();
    const size = PERF_ATTR_SIZE_KERNEL + 8;
    const bad = cycles({ size, tail: Uint8Array.of(0, 0, 1, 0, 0, 0, 0, 0) });
    expect(perf.perf_event_open(bad, -1, 0, -1, 0)).toBe(-Errno.E2BIG);
    expect(bad.size).toBe(PERF_ATTR_SIZE_KERNEL);
    expect(perf.perf_event_open(cycles({ size, tail: new Uint8Array(8) }), -1, 0, -1, 0)).toBeGreaterThanOrEqual(3);
  });

  it('3: freq above perf_event_max_sample_rate and period bit 63 fail EINVAL; huge periods are fine', () => {
    const { perf } = hostMachine();
    const max = perf.sysctl.perf_event_max_sample_rate;
    expect(perf.perf_event_open(cycles({ freq: true, sample_freq: max + 1 }), -1, 0, -1, 0)).toBe(-Errno.EINVAL);
    expect(perf.perf_event_open(cycles({ freq: true, sample_freq: max }), -1, 0, -1, 0)).toBeGreaterThanOrEqual(3);
    expect(perf.perf_event_open(cycles({ sample_period: 1n << 63n }), -1, 0, -1, 0)).toBe(-Errno.EINVAL);
    expect(perf.perf_event_open(cycles({ sample_period: (1n << 62n) + 5n }), -1, 0, -1, 0)).toBeGreaterThanOrEqual(3);
  });

  it('4: counting the kernel unprivileged at paranoid 2 fails EACCES', () => {
    const m = hostMachine({ workloads: ['spin'] });
    const pid = [...m.kernel.tasks.values()][0].pid;
    expect(m.perf.perf_event_open(cycles(), pid, -1, -1, 0, USER)).toBe(-Errno.EACCES);
    expect(m.perf.perf_event_open(cycles({ exclude_kernel: true, exclude_hv: true }), pid, -1, -1, 0, USER)).toBeGreaterThanOrEqual(3);
  });

  it('5: a CPU-wide event unprivileged at paranoid >= 1 fails EACCES', () => {
    const m = hostMachine();
    m.perf.sysctl.perf_event_paranoid = 1;
    const attr = () => cycles({ exclude_kernel: true });
    expect(m.perf.perf_event_open(attr(), -1, 0, -1, 0, USER)).toBe(-Errno.EACCES);
    m.perf.sysctl.perf_event_paranoid = 0;
    expect(m.perf.perf_event_open(attr(), -1, 0, -1, 0, USER)).toBeGreaterThanOrEqual(3);
  });

  it('6: pinned or exclusive on a group sibling fails EINVAL', () => {
    const { perf } = hostMachine();
    const leader = perf.perf_event_open(cycles(), -1, 0, -1, 0);
    const insns = (f: Partial<PerfEventAttr>) => makeAttr({ config: BigInt(PerfHwId.INSTRUCTIONS), ...f });
    expect(perf.perf_event_open(insns({ pinned: true }), -1, 0, leader, 0)).toBe(-Errno.EINVAL);
    expect(perf.perf_event_open(insns({ exclusive: true }), -1, 0, leader, 0)).toBe(-Errno.EINVAL);
    expect(perf.perf_event_open(insns({}), -1, 0, leader, 0)).toBeGreaterThanOrEqual(3);
    expect(perf.perf_event_open(insns({}), -1, 0, 999, 0)).toBe(-Errno.EBADF);
  });

  it('7: an unknown type, or a generic event the PMU does not map, fails ENOENT', () => {
    const { perf } = hostMachine();
    expect(perf.perf_event_open(makeAttr({ type: 42 }), -1, 0, -1, 0)).toBe(-Errno.ENOENT);
    const ref = () => makeAttr({ type: PERF_TYPE_HARDWARE, config: BigInt(PerfHwId.REF_CPU_CYCLES) });
    expect(perf.perf_event_open(ref(), -1, 0, -1, 0)).toBeGreaterThanOrEqual(3);
    // Zen 4's map has ref-cycles but no bus-cycles.
    const bus = makeAttr({ type: PERF_TYPE_HARDWARE, config: BigInt(PerfHwId.BUS_CYCLES) });
    expect(hostMachine({ vendor: 'amd' }).perf.perf_event_open(bus, -1, 0, -1, 0)).toBe(-Errno.ENOENT);
    expect(hostMachine({ arch: 'arm64' }).perf.perf_event_open(ref(), -1, 0, -1, 0)).toBe(-Errno.ENOENT);
    expect(perf.perf_event_open(makeAttr({ type: PERF_TYPE_HARDWARE, config: 10n }), -1, 0, -1, 0)).toBe(-Errno.EINVAL);
  });

  it('8: precise_ip above the PMU maximum fails EOPNOTSUPP', () => {
    const intel = hostMachine().perf;
    expect(intel.perf_event_open(cycles({ precise_ip: 3, sample_period: 100000n }), -1, 0, -1, 0)).toBeGreaterThanOrEqual(3);
    const arm = hostMachine({ arch: 'arm64' }).perf;
    expect(arm.perf_event_open(cycles({ precise_ip: 1, sample_period: 100000n }), -1, 0, -1, 0)).toBe(-Errno.EOPNOTSUPP);
    expect(arm.perf_event_open(cycles({ sample_period: 100000n }), -1, 0, -1, 0)).toBeGreaterThanOrEqual(3);
  });

  it('9: CALLCHAIN with sample_max_stack above perf_event_max_stack fails EOVERFLOW', () => {
    const { perf } = hostMachine();
    const attr = (n: number) =>
      cycles({ sample_period: 100000n, sample_type: PERF_SAMPLE_IP | PERF_SAMPLE_CALLCHAIN, sample_max_stack: n });
    expect(perf.perf_event_open(attr(perf.sysctl.perf_event_max_stack + 1), -1, 0, -1, 0)).toBe(-Errno.EOVERFLOW);
    expect(perf.perf_event_open(attr(perf.sysctl.perf_event_max_stack), -1, 0, -1, 0)).toBeGreaterThanOrEqual(3);
  });

  it('10: inherit with SAMPLE_READ needs SAMPLE_TID (6.12+)', () => {
    const m = hostMachine({ workloads: ['spin'] });
    const pid = [...m.kernel.tasks.values()][0].pid;
    const attr = (tid: boolean) =>
      cycles({ inherit: true, sample_period: 100000n, sample_type: PERF_SAMPLE_READ | (tid ? PERF_SAMPLE_TID : 0n) });
    expect(m.perf.perf_event_open(attr(false), pid, -1, -1, 0)).toBe(-Errno.EINVAL);
    expect(m.perf.perf_event_open(attr(true), pid, -1, -1, 0)).toBeGreaterThanOrEqual(3);
  });

  it('11: read() with a short buffer fails ENOSPC; an event in ERROR reads 0 bytes', () => {
    const m = hostMachine({ workloads: ['spin'] });
    const rf = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID;
    const fd = m.perf.perf_event_open(cycles({ read_format: rf }), -1, 0, -1, 0);
    expect(m.perf.read(fd, 31)).toBe(-Errno.ENOSPC);
    const ok = m.perf.read(fd, 32);
    expect(typeof ok === 'object' && ok.bytes).toBe(32);
    // More pinned groups than counters: the ones that cannot fit go to ERROR.
    const pinned: number[] = [];
    for (let i = 0; i < 12; i++)
      pinned.push(m.perf.perf_event_open(makeAttr({ type: PERF_TYPE_RAW, config: 0xc0n, pinned: true, read_format: rf }), -1, 0, -1, 0));
    const last = m.perf.read(pinned.at(-1) as number, 64);
    expect(last).toEqual({ bytes: 0, values: [] });
    const group = m.perf.perf_event_open(cycles({ read_format: rf | PERF_FORMAT_GROUP }), -1, 0, -1, 0);
    expect(m.perf.read(group, 8 + 16 + 16 - 1)).toBe(-Errno.ENOSPC);
  });
});
