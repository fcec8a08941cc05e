/**
 * Event states and context scheduling on the real perf core: checklist items
 * 12-18 (groups, priority order, no backtracking, ERROR, enable/disable,
 * rotation, time accounting).
 */
import { describe, expect, it } from 'vitest';
import { ExecContext } from '../../../profile/model';
import { HwEvent } from '../../../emulator/hw/events';
import {
  makeAttr,
  PERF_FORMAT_TOTAL_TIME_ENABLED,
  PERF_FORMAT_TOTAL_TIME_RUNNING,
  PERF_TYPE_HARDWARE,
  PERF_TYPE_RAW,
  PerfHwId,
  type PerfEventAttr,
} from '../../../emulator/perf/attr';
import { PerfIoc } from '../../../emulator/perf/core';
import { PerfEventState } from '../../../emulator/perf/event';
import type { Machine } from '../../../emulator/machine';
import { hostMachine } from '../../helpers/machine';

const TIMES = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
/** A GP-only event (branches by its raw encoding): fixed counters cannot take it. */
const gp = (f: Partial<PerfEventAttr> = {}) => makeAttr({ type: PERF_TYPE_RAW, config: 0xc4n, read_format: TIMES, ...f });
const state = (m: Machine, fd: number) => m.perf.eventOf(fd)?.state;
const MS = 1_000_000;

function group(m: Machine, n: number, cpu = 0, pid = -1, leaderAttr: Partial<PerfEventAttr> = {}): number[] {
  const leader = m.perf.perf_event_open(gp(leaderAttr), pid, cpu, -1, 0);
  const fds = [leader];
  for (let i = 1; i < n; i++) fds.push(m.perf.perf_event_open(gp(), pid, cpu, leader, 0));
  for (const fd of fds) expect(fd).toBeGreaterThanOrEqual(3);
  return fds;
}

describe('context scheduling (checklist 12-18)', () => {
  it('12: a group is all ACTIVE or all INACTIVE, never split', () => {
    const m = hostMachine({ counters: 4, workloads: ['spin'] });
    const fits = group(m, 3);
    const tooBig = m.perf.perf_event_open(gp(), -1, 0, -1, 0);
    const big = [tooBig, m.perf.perf_event_open(gp(), -1, 0, tooBig, 0)];
    expect(fits.map((fd) => state(m, fd))).toEqual([1, 1, 1]);
    // Only one counter is left for a two-event group: neither member goes on.
    expect(big.map((fd) => state(m, fd))).toEqual([0, 0]);
  });

  it('13: CPU-pinned, then task-pinned, then CPU-flexible, then task-flexible', () => {
    const m = hostMachine({ counters: 3, workloads: ['spin@0'] });
    const pid = [...m.kernel.tasks.values()][0].pid;
    // Opened in the reverse of their priority.
    const taskFlexible = m.perf.perf_event_open(gp(), pid, -1, -1, 0);
    const cpuFlexible = m.perf.perf_event_open(gp(), -1, 0, -1, 0);
    const taskPinned = m.perf.perf_event_open(gp({ pinned: true }), pid, -1, -1, 0);
    const cpuPinned = m.perf.perf_event_open(gp({ pinned: true }), -1, 0, -1, 0);
    m.runUntil(10 * MS);
    expect(state(m, cpuPinned)).toBe(PerfEventState.ACTIVE);
    expect(state(m, taskPinned)).toBe(PerfEventState.ACTIVE);
    expect(state(m, cpuFlexible)).toBe(PerfEventState.ACTIVE);
    expect(state(m, taskFlexible)).toBe(PerfEventState.INACTIVE);
  });

  it('14: after the first flexible group fails, later groups that would fit stay INACTIVE', () => {
    const m = hostMachine({ counters: 4, workloads: ['spin'] });
    const first = group(m, 3);
    const second = group(m, 2);
    const third = group(m, 1);
    expect(state(m, first[0])).toBe(PerfEventState.ACTIVE);
    expect(state(m, second[0])).toBe(PerfEventState.INACTIVE);
    // One counter is free and this group needs one, but no backtracking happens.
    expect(state(m, third[0])).toBe(PerfEventState.INACTIVE);
  });

  it('15: a pinned group that cannot fit goes to ERROR and stays there until enabled again', () => {
    const m = hostMachine({ counters: 2, workloads: ['spin'] });
    const hog = group(m, 2, 0, -1, { pinned: true });
    const victim = m.perf.perf_event_open(gp({ pinned: true }), -1, 0, -1, 0);
    expect(state(m, victim)).toBe(PerfEventState.ERROR);
    m.runUntil(50 * MS);
    expect(state(m, victim)).toBe(PerfEventState.ERROR);
    expect(m.perf.read(victim, 64)).toEqual({ bytes: 0, values: [] });
    m.perf.close(hog[1]);
    m.perf.close(hog[0]);
    m.runUntil(60 * MS);
    expect(state(m, victim)).toBe(PerfEventState.ERROR);
    expect(m.perf.ioctl(victim, PerfIoc.ENABLE)).toBe(0);
    expect(state(m, victim)).toBe(PerfEventState.ACTIVE);
  });

  it('16: disable moves ACTIVE or INACTIVE to OFF, enable moves OFF to INACTIVE and on', () => {
    const m = hostMachine({ counters: 1, workloads: ['spin'] });
    const a = m.perf.perf_event_open(gp(), -1, 0, -1, 0);
    const b = m.perf.perf_event_open(gp(), -1, 0, -1, 0);
    expect([state(m, a), state(m, b)]).toEqual([1, 0]);
    m.perf.ioctl(b, PerfIoc.DISABLE);
    m.perf.ioctl(a, PerfIoc.DISABLE);
    expect([state(m, a), state(m, b)]).toEqual([-1, -1]);
    m.perf.ioctl(b, PerfIoc.ENABLE);
    expect(state(m, b)).toBe(PerfEventState.ACTIVE);
    const disabled = m.perf.perf_event_open(gp({ disabled: true }), -1, 0, -1, 0);
    expect(state(m, disabled)).toBe(PerfEventState.OFF);
  });

  it('17: flexible groups rotate every mux interval only when one could not go on; pinned never rotate', () => {
    const m = hostMachine({ counters: 2, workloads: ['spin'] });
    const pinned = m.perf.perf_event_open(gp({ pinned: true }), -1, 0, -1, 0);
    const flex = [0, 1, 2].map(() => m.perf.perf_event_open(gp(), -1, 0, -1, 0));
    const active = () => flex.map((fd) => state(m, fd) === PerfEventState.ACTIVE);
    expect(active()).toEqual([true, false, false]);
    m.runUntil(4 * MS - 1);
    expect(active()).toEqual([true, false, false]);
    m.runUntil(4 * MS);
    expect(active()).toEqual([false, true, false]);
    m.runUntil(8 * MS);
    expect(active()).toEqual([false, false, true]);
    expect(state(m, pinned)).toBe(PerfEventState.ACTIVE);
    // Without contention the timer is never needed: running equals enabled.
    const calm = hostMachine({ counters: 2, workloads: ['spin'] });
    const fd = calm.perf.perf_event_open(gp(), -1, 0, -1, 0);
    calm.runUntil(40 * MS);
    const r = calm.perf.read(fd, 64);
    expect(typeof r === 'object' && r.time_running === r.time_enabled && r.time_enabled === 40 * MS).toBe(true);
  });

  it('18: time_running grows only when ACTIVE, time_enabled while the context clock runs', () => {
    const m = hostMachine({ counters: 1, workloads: ['spin'] });
    const a = m.perf.perf_event_open(gp(), -1, 0, -1, 0);
    const b = m.perf.perf_event_open(gp(), -1, 0, -1, 0);
    m.runUntil(40 * MS);
    for (const fd of [a, b]) {
      const r = m.perf.read(fd, 64);
      if (typeof r !== 'object') throw new Error('read failed');
      expect(r.time_enabled).toBe(40 * MS);
      expect(r.time_running).toBe(20 * MS);
    }
    // A task context's clock runs only while the task is on a CPU.
    const idle = hostMachine({ workloads: ['idle'] });
    const pid = [...idle.kernel.tasks.values()][0].pid;
    const fd = idle.perf.perf_event_open(gp({ exclude_kernel: false }), pid, -1, -1, 0);
    idle.runUntil(500 * MS);
    const r = idle.perf.read(fd, 64);
    if (typeof r !== 'object') throw new Error('read failed');
    const task = [...idle.kernel.tasks.values()][0];
    expect(r.time_enabled).toBe(r.time_running);
    expect(r.time_enabled).toBeLessThan(50 * MS);
    expect(r.time_enabled).toBe(task.sumExecRuntime + (task.state === 'running' ? 500 * MS - task.onCpuSince : 0));
  });

  it('counts equal ground truth exactly when the event runs the whole time', () => {
    const m = hostMachine({ workloads: ['spin'] });
    const fd = m.perf.perf_event_open(makeAttr({ type: PERF_TYPE_HARDWARE, config: BigInt(PerfHwId.INSTRUCTIONS) }), -1, 0, -1, 0);
    m.runUntil(300 * MS);
    const r = m.perf.read(fd, 8);
    const truth = m.cpus[0].truthOf(ExecContext.HostUser, HwEvent.INSTRUCTIONS) + m.cpus[0].truthOf(ExecContext.HostKernel, HwEvent.INSTRUCTIONS);
    expect(typeof r === 'object' && r.values[0].value).toBe(truth);
    expect(truth).toBeGreaterThan(1e8);
  });
});
