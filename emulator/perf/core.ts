/**
 * The perf core (kernel/events/core.c): perf_event_open and its validation
 * order, contexts, group scheduling with pinned before flexible, multiplexing
 * by rotation, read/ioctl/close, software-event hooks and the tick. One
 * instance per kernel: the host has one, and so will every guest, each over
 * its own PMUs (perf/pmu.ts).
 */
import type { EventQueue } from '../sim/event-queue';
import { SimTimer } from '../sim/event-queue';
import {
  PAGE_SIZE,
  PERF_ATTR_SIZE_KERNEL,
  PERF_ATTR_SIZE_VER0,
  PERF_FLAG_ALL,
  PERF_FLAG_PID_CGROUP,
  PERF_FORMAT_GROUP,
  PERF_FORMAT_ID,
  PERF_FORMAT_LOST,
  PERF_FORMAT_MAX,
  PERF_FORMAT_TOTAL_TIME_ENABLED,
  PERF_FORMAT_TOTAL_TIME_RUNNING,
  PERF_SAMPLE_CALLCHAIN,
  PERF_SAMPLE_MAX,
  PERF_SAMPLE_READ,
  PERF_SAMPLE_TID,
  type PerfEventAttr,
} from './attr';
import { Errno } from './errno';
import {
  PerfEvent,
  PerfEventContext,
  PerfEventState,
  event_clock,
  is_exclude_guest_hw,
  perf_event_set_state,
  perf_event_update_time,
  type OverflowHandler,
} from './event';
import {
  is_sampling_event,
  type OverflowEnv,
  perf_adjust_period,
  perf_event_overflow,
  perf_log_throttle,
  type SampleRegs,
} from './overflow';
import { PERF_EF_RELOAD, PERF_EF_START, PERF_EF_UPDATE, type Pmu } from './pmu';
import { readSize, type ReadResult } from './read-format';
import { RingBuffer } from './ring-buffer';
import { MAX_INTERRUPTS, maxSamplesPerTick, type PerfSysctl, TICK_NSEC } from './sysctl';

/** What the perf core needs from the kernel around it. */
export interface PerfKernel {
  readonly queue: EventQueue;
  readonly nrCpus: number;
  now(): number;
  /** Bring the CPU's hardware counts up to now before they are read or reprogrammed. */
  syncCpu(cpu: number, now: number): void;
  taskExists(pid: number): boolean;
  /** The CPU the task runs on now, -1 when it is not running. */
  taskCpu(tid: number): number;
  /**
   * The sample fields for the code the CPU runs now, or for the code a
   * precise event overflowed in (`tag`, the CPU's execTag at the overflow).
   */
  sampleRegs(cpu: number, event: PerfEvent, tag: unknown): SampleRegs;
}

export interface Cred {
  /** CAP_PERFMON or CAP_SYS_ADMIN. */
  perfmon: boolean;
}
export const ROOT: Cred = { perfmon: true };

/** ioctl requests (PERF_EVENT_IOC_*). */
export const PerfIoc = {
  ENABLE: 'ENABLE',
  DISABLE: 'DISABLE',
  REFRESH: 'REFRESH',
  RESET: 'RESET',
  PERIOD: 'PERIOD',
  SET_OUTPUT: 'SET_OUTPUT',
  ID: 'ID',
} as const;
export type PerfIoc = (typeof PerfIoc)[keyof typeof PerfIoc];
/** PERF_IOC_FLAG_GROUP: apply ENABLE/DISABLE/RESET to the whole group. */
export const PERF_IOC_FLAG_GROUP = 1;

/** struct perf_cpu_context: the CPU's own context and the running task's. */
class PerfCpuContext {
  readonly ctx: PerfEventContext;
  task_ctx: PerfEventContext | null = null;
  /** Per hardware PMU mux hrtimer. */
  readonly muxTimers = new Map<Pmu, SimTimer>();
  /** Events stopped by throttling, restarted at the next tick. */
  readonly throttled = new Set<PerfEvent>();

  constructor(readonly cpu: number) {
    this.ctx = new PerfEventContext(cpu, null);
    this.ctx.is_active = true;
  }
}

type Pass = 'pinned' | 'flexible';

export class PerfCore {
  readonly cpuctx: PerfCpuContext[];
  private readonly taskCtx = new Map<number, PerfEventContext>();
  private readonly fds = new Map<number, PerfEvent>();
  private nextFd = 3;
  private nextId = 1;
  /**
   * Extra refusal checks a hypervisor registers (the mediated vPMU's
   * exclude_guest rule, shared reference §1.5 step 10). Return 0 or -errno.
   */
  readonly openChecks: ((event: PerfEvent) => number)[] = [];
  private readonly overflowEnv: OverflowEnv[];
  /** Told whenever a pinned group goes to ERROR (recordings turn it into a marker). */
  readonly errorListeners: ((event: PerfEvent, now: number) => void)[] = [];

  constructor(
    readonly kernel: PerfKernel,
    readonly pmus: readonly Pmu[],
    readonly sysctl: PerfSysctl,
  ) {
    this.cpuctx = Array.from({ length: kernel.nrCpus }, (_, cpu) => new PerfCpuContext(cpu));
    this.overflowEnv = this.cpuctx.map((_, cpu) => ({
      now: 0,
      cpu,
      tag: null,
      maxSamplesPerTick: 0,
      disable: (e: PerfEvent) => this.queueDisable(e),
      regs: (e: PerfEvent, env: OverflowEnv) => this.kernel.sampleRegs(cpu, e, env.tag),
      readGroup: (leader: PerfEvent) => [...leader.members()].map((m) => ({ id: m.id, value: this.readCount(m) })),
    }));
  }

  // ---- perf_event_open ---------------------------------------------------

  /** sys_perf_event_open: an fd (>= 3) or -errno, in the kernel's validation order. */
  perf_event_open(attr: PerfEventAttr, pid: number, cpu: number, group_fd: number, flags: number, cred = ROOT): number {
    if (flags & ~PERF_FLAG_ALL) return -Errno.EINVAL;
    const copied = this.perf_copy_attr(attr);
    if (copied) return copied;
    if (!attr.exclude_kernel && this.sysctl.perf_event_paranoid > 1 && !cred.perfmon) return -Errno.EACCES;
    if (attr.freq) {
      if (attr.sample_freq > this.sysctl.perf_event_max_sample_rate) return -Errno.EINVAL;
    } else if (attr.sample_period & (1n << 63n)) {
      return -Errno.EINVAL;
    }
    // 6.12+ (7e8b255650fc): inherited SAMPLE_READ needs TID to tell the children apart.
    if (attr.inherit && attr.sample_type & PERF_SAMPLE_READ && !(attr.sample_type & PERF_SAMPLE_TID))
      return -Errno.EINVAL;
    if (flags & PERF_FLAG_PID_CGROUP && (pid === -1 || cpu === -1)) return -Errno.EINVAL;
    if (pid === -1 && cpu === -1) return -Errno.EINVAL;
    if (cpu >= this.kernel.nrCpus || cpu < -1) return -Errno.EINVAL;

    let leader: PerfEvent | null = null;
    if (group_fd !== -1) {
      leader = this.fds.get(group_fd) ?? null;
      if (!leader) return -Errno.EBADF;
    }
    if (pid !== -1 && !this.kernel.taskExists(pid)) return -Errno.ESRCH;
    if (leader && pid !== -1 && leader.attr.inherit !== attr.inherit) return -Errno.EINVAL;

    const made = this.perf_event_alloc(attr, cpu, { kind: 'user' });
    if (typeof made === 'number') return made;
    const event = made;

    if (pid === -1 && this.sysctl.perf_event_paranoid > 0 && !cred.perfmon) return -Errno.EACCES;
    const ctx = pid === -1 ? this.cpuctx[cpu].ctx : this.findTaskCtx(pid);

    if (leader) {
      if (!leader.isGroupLeader) return -Errno.EINVAL;
      if (leader.cpu !== event.cpu || leader.ctx !== ctx) return -Errno.EINVAL;
      if (attr.exclusive || attr.pinned) return -Errno.EINVAL;
      const groupPmu = groupHardwarePmu(leader);
      const softwareEvent = event.pmu.capabilities.software;
      // Software events may join a hardware group; hardware PMUs never mix.
      if (!softwareEvent && groupPmu && groupPmu !== event.pmu) return -Errno.EINVAL;
      const hwPmu = softwareEvent ? groupPmu : event.pmu;
      if (hwPmu && !hwPmu.validateGroup([...leader.members(), event].filter((e) => e.pmu === hwPmu)))
        return -Errno.EINVAL;
    }
    for (const check of this.openChecks) {
      const err = check(event);
      if (err) return err;
    }

    this.install(event, ctx, leader);
    const fd = this.nextFd++;
    this.fds.set(fd, event);
    return fd;
  }

  /** perf_event_create_kernel_counter: for the NMI watchdog and KVM, no fd, no permission checks. */
  perf_event_create_kernel_counter(
    attr: PerfEventAttr,
    cpu: number,
    taskId: number,
    overflow_handler: OverflowHandler | null,
  ): PerfEvent | number {
    const made = this.perf_event_alloc(attr, cpu, { kind: 'kernel' });
    if (typeof made === 'number') return made;
    made.overflow_handler = overflow_handler;
    for (const check of this.openChecks) {
      const err = check(made);
      if (err) return err;
    }
    this.install(made, taskId === -1 ? this.cpuctx[cpu].ctx : this.findTaskCtx(taskId), null);
    return made;
  }

  private perf_copy_attr(attr: PerfEventAttr): number {
    const size = attr.size || PERF_ATTR_SIZE_VER0;
    if (size < PERF_ATTR_SIZE_VER0 || size > PAGE_SIZE) {
      attr.size = PERF_ATTR_SIZE_KERNEL;
      return -Errno.E2BIG;
    }
    if (size > PERF_ATTR_SIZE_KERNEL && attr.tail?.some((b) => b !== 0)) {
      attr.size = PERF_ATTR_SIZE_KERNEL;
      return -Errno.E2BIG;
    }
    if (attr.sample_type & ~(PERF_SAMPLE_MAX - 1n)) return -Errno.EINVAL;
    if (attr.read_format & ~(PERF_FORMAT_MAX - 1n)) return -Errno.EINVAL;
    if (attr.sigtrap && !attr.remove_on_exec) return -Errno.EINVAL;
    if (attr.sample_max_stack === 0) attr.sample_max_stack = this.sysctl.perf_event_max_stack;
    return 0;
  }

  /** perf_event_alloc + perf_init_event: find the PMU that takes the event. */
  private perf_event_alloc(attr: PerfEventAttr, cpu: number, owner: PerfEvent['owner']): PerfEvent | number {
    let lastErr: number = -Errno.ENOENT;
    for (const pmu of this.pmus) {
      if (!pmu.types.includes(attr.type)) continue;
      const event = new PerfEvent(this.nextId, { ...attr }, pmu, cpu, owner);
      const hwc = event.hw;
      if (attr.freq) hwc.sample_period = 1;
      else if (attr.sample_period) hwc.sample_period = Number(attr.sample_period);
      hwc.last_period = hwc.sample_period;
      hwc.period_left = hwc.sample_period;
      hwc.freq_time_stamp = this.kernel.now();
      const err = pmu.eventInit(event);
      if (err === -Errno.ENOENT) {
        lastErr = err;
        continue;
      }
      if (err) return err;
      const excludes =
        attr.exclude_user || attr.exclude_kernel || attr.exclude_hv || attr.exclude_idle || attr.exclude_host || attr.exclude_guest;
      if (pmu.capabilities.noExclude && excludes) return -Errno.EINVAL;
      if (is_sampling_event(event) && pmu.capabilities.noInterrupt) return -Errno.EOPNOTSUPP;
      if (attr.precise_ip > pmu.capabilities.maxPrecise) return -Errno.EOPNOTSUPP;
      if (attr.sample_type & PERF_SAMPLE_CALLCHAIN && attr.sample_max_stack > this.sysctl.perf_event_max_stack)
        return -Errno.EOVERFLOW;
      this.nextId++;
      return event;
    }
    return lastErr;
  }

  /**
   * find_get_context for a task: a new context of a task that is on a CPU
   * right now becomes that CPU's task context at once (the kernel's install
   * IPI), so its clock runs from the open, not from the next switch.
   */
  private findTaskCtx(pid: number): PerfEventContext {
    let ctx = this.taskCtx.get(pid);
    if (!ctx) {
      ctx = new PerfEventContext(-1, pid);
      this.taskCtx.set(pid, ctx);
      const cpu = this.kernel.taskCpu(pid);
      if (cpu >= 0) {
        const now = this.kernel.now();
        this.syncCpuCtxs(cpu, now);
        ctx.timestamp = now;
        ctx.is_active = true;
        ctx.activeCpu = cpu;
        this.cpuctx[cpu].task_ctx = ctx;
      }
    }
    return ctx;
  }

  /** perf_install_in_context: link the event, then reschedule where its context runs. */
  private install(event: PerfEvent, ctx: PerfEventContext, leader: PerfEvent | null): void {
    const now = this.kernel.now();
    this.syncCtx(ctx, now);
    event.ctx = ctx;
    event.tstamp = event_clock(event);
    if (leader) {
      event.group_leader = leader;
      leader.sibling_list.push(event);
      if (!event.pmu.capabilities.software) leader.groupIsSoftware = false;
    } else {
      event.group_index = ctx.nextGroupIndex++;
      ctx.groupsOf(event.attr.pinned).push(event);
    }
    event.state = event.attr.disabled ? PerfEventState.OFF : PerfEventState.INACTIVE;
    if (event.state === PerfEventState.INACTIVE) this.reschedCtx(ctx, now, event.group_leader.attr.pinned);
  }

  // ---- scheduling ----------------------------------------------------------

  /** The CPU a context is running on now, or -1. */
  private ctxCpu(ctx: PerfEventContext): number {
    if (ctx.taskId === null) return ctx.cpu;
    return ctx.is_active ? ctx.activeCpu : -1;
  }

  private syncCtx(ctx: PerfEventContext, now: number): void {
    const cpu = this.ctxCpu(ctx);
    if (cpu >= 0) this.syncCpuCtxs(cpu, now);
    else ctx.update_context_time(now);
  }

  /** Bring the CPU's counters and both its contexts' clocks to now. */
  private syncCpuCtxs(cpu: number, now: number): void {
    this.kernel.syncCpu(cpu, now);
    const cc = this.cpuctx[cpu];
    cc.ctx.update_context_time(now);
    cc.task_ctx?.update_context_time(now);
  }

  private reschedCtx(ctx: PerfEventContext, now: number, pinned: boolean): void {
    const cpu = this.ctxCpu(ctx);
    if (cpu >= 0) this.ctx_resched(cpu, now, pinned);
  }

  /**
   * ctx_resched: flexible groups of both contexts come off (pinned ones too
   * when the change is to a pinned group), then everything is scheduled in
   * again in priority order, so a newly enabled pinned group takes its
   * counters before any flexible one.
   */
  private ctx_resched(cpu: number, now: number, pinned: boolean): void {
    this.syncCpuCtxs(cpu, now);
    const cc = this.cpuctx[cpu];
    const pass = pinned ? 'all' : 'flexible';
    this.ctx_sched_out(cc.ctx, pass);
    if (cc.task_ctx) this.ctx_sched_out(cc.task_ctx, pass);
    this.perf_event_sched_in(cpu);
  }

  /** CPU-pinned, task-pinned, CPU-flexible, task-flexible (perf_event_sched_in). */
  private perf_event_sched_in(cpu: number): void {
    const cc = this.cpuctx[cpu];
    this.ctx_sched_in(cpu, cc.ctx, 'pinned');
    if (cc.task_ctx) this.ctx_sched_in(cpu, cc.task_ctx, 'pinned');
    this.ctx_sched_in(cpu, cc.ctx, 'flexible');
    if (cc.task_ctx) this.ctx_sched_in(cpu, cc.task_ctx, 'flexible');
  }

  private ctx_sched_out(ctx: PerfEventContext, pass: Pass | 'all'): void {
    if (pass !== 'flexible') for (const g of ctx.pinned_groups) this.group_sched_out(g);
    if (pass !== 'pinned') for (const g of ctx.flexible_groups) this.group_sched_out(g);
  }

  /**
   * One pass per PMU over one list, in group order: after the first hardware
   * group that does not fit, no later hardware group of that PMU is tried
   * (can_add_hw = 0); there is no backtracking.
   */
  private ctx_sched_in(cpu: number, ctx: PerfEventContext, pass: Pass): void {
    const canAddHw = new Map<Pmu, boolean>();
    for (const group of ctx.groupsOf(pass === 'pinned')) {
      if (group.cpu !== -1 && group.cpu !== cpu) continue;
      if (group.state !== PerfEventState.INACTIVE) continue;
      // While a mediated guest owns the PMU, exclude_guest groups wait for the put.
      if (ctx.guestLoaded && is_exclude_guest_hw(group)) continue;
      const pmu = groupPmu(group);
      const can = canAddHw.get(pmu) ?? true;
      if (this.group_can_go_on(group, cpu, can)) this.group_sched_in(group, cpu);
      if (group.state !== PerfEventState.INACTIVE) continue;
      canAddHw.set(pmu, false);
      if (group.attr.pinned) {
        perf_event_set_state(group, PerfEventState.ERROR);
        for (const listen of this.errorListeners) listen(group, this.kernel.now());
      } else {
        ctx.rotate_necessary = true;
        this.armMuxTimer(cpu, pmu);
      }
    }
  }

  private group_can_go_on(group: PerfEvent, cpu: number, canAddHw: boolean): boolean {
    if (group.groupIsSoftware) return true;
    const cc = this.cpuctx[cpu];
    const pmu = groupPmu(group);
    let anyActive = false;
    let exclusiveActive = false;
    for (const ctx of [cc.ctx, cc.task_ctx]) {
      if (!ctx) continue;
      for (const g of [...ctx.pinned_groups, ...ctx.flexible_groups]) {
        if (g.state !== PerfEventState.ACTIVE || groupPmu(g) !== pmu || g.groupIsSoftware) continue;
        anyActive = true;
        if (g.attr.exclusive) exclusiveActive = true;
      }
    }
    if (exclusiveActive) return false;
    if (group.attr.exclusive && anyActive) return false;
    return canAddHw;
  }

  /** All members get a counter or none do (start_txn / commit_txn). */
  private group_sched_in(group: PerfEvent, cpu: number): boolean {
    const pmu = groupPmu(group);
    pmu.startTxn(cpu);
    const added: PerfEvent[] = [];
    let ok = true;
    for (const e of group.members()) {
      if (e.state <= PerfEventState.OFF) continue;
      if (!this.event_sched_in(e, cpu)) {
        ok = false;
        break;
      }
      added.push(e);
    }
    if (ok && pmu.commitTxn(cpu) === 0) return true;
    for (const e of added) this.event_sched_out(e);
    pmu.cancelTxn(cpu);
    return false;
  }

  private event_sched_in(event: PerfEvent, cpu: number): boolean {
    perf_event_set_state(event, PerfEventState.ACTIVE);
    event.ctx.activeCpu = cpu;
    if (event.pmu.add(event, PERF_EF_START) !== 0) {
      perf_event_set_state(event, PerfEventState.INACTIVE);
      return false;
    }
    return true;
  }

  private group_sched_out(group: PerfEvent): void {
    if (group.state !== PerfEventState.ACTIVE) return;
    for (const e of group.members()) this.event_sched_out(e);
  }

  private event_sched_out(event: PerfEvent): void {
    if (event.state !== PerfEventState.ACTIVE) return;
    event.pmu.del(event, 0);
    for (const cc of this.cpuctx) cc.throttled.delete(event);
    if (event.hw.interrupts === MAX_INTERRUPTS) event.hw.interrupts = 0;
    perf_event_set_state(event, PerfEventState.INACTIVE);
  }

  // ---- rotation (multiplexing) ---------------------------------------------

  private armMuxTimer(cpu: number, pmu: Pmu): void {
    if (pmu.capabilities.software) return;
    const cc = this.cpuctx[cpu];
    let timer = cc.muxTimers.get(pmu);
    if (!timer) {
      timer = new SimTimer(this.kernel.queue, (now) => this.perf_mux_hrtimer_handler(cpu, pmu, now));
      cc.muxTimers.set(pmu, timer);
    }
    if (!timer.armed) timer.arm(this.kernel.now() + pmu.muxIntervalMs * 1_000_000);
  }

  /**
   * perf_rotate_context: when some flexible group could not go on, move the
   * first active flexible group of the CPU context and of the task context to
   * the tail and schedule the flexible groups in again. Pinned groups stay.
   */
  private perf_mux_hrtimer_handler(cpu: number, pmu: Pmu, now: number): void {
    const cc = this.cpuctx[cpu];
    const ctxs = [cc.ctx, cc.task_ctx].filter((c): c is PerfEventContext => c !== null);
    const rotate = ctxs.filter((c) => c.rotate_necessary);
    if (rotate.length === 0) return;
    this.syncCpuCtxs(cpu, now);
    // The victim is chosen while the groups are still on (ctx_event_to_rotate).
    const victims = rotate.map((ctx) => ctx_event_to_rotate(ctx, pmu));
    for (const ctx of ctxs) this.ctx_sched_out(ctx, 'flexible');
    rotate.forEach((ctx, i) => {
      ctx.rotate_necessary = false;
      const victim = victims[i];
      if (victim) rotate_ctx(ctx, victim);
    });
    this.ctx_sched_in(cpu, cc.ctx, 'flexible');
    if (cc.task_ctx) this.ctx_sched_in(cpu, cc.task_ctx, 'flexible');
    if (ctxs.some((c) => c.rotate_necessary)) cc.muxTimers.get(pmu)?.arm(now + pmu.muxIntervalMs * 1_000_000);
  }

  // ---- task switches and software events -----------------------------------

  /** perf_event_task_sched_out: the task's context stops; its clock stops with it. */
  task_sched_out(tid: number, cpu: number, now: number): void {
    const ctx = this.taskCtx.get(tid);
    const cc = this.cpuctx[cpu];
    if (!ctx || cc.task_ctx !== ctx) return;
    this.syncCpuCtxs(cpu, now);
    this.ctx_sched_out(ctx, 'all');
    ctx.is_active = false;
    cc.task_ctx = null;
  }

  /** perf_event_task_sched_in: CPU flexible groups make way so task-pinned ones go first. */
  task_sched_in(tid: number, cpu: number, now: number): void {
    const ctx = this.taskCtx.get(tid);
    if (!ctx) return;
    const cc = this.cpuctx[cpu];
    this.syncCpuCtxs(cpu, now);
    ctx.timestamp = now;
    ctx.is_active = true;
    ctx.activeCpu = cpu;
    cc.task_ctx = ctx;
    this.ctx_sched_out(cc.ctx, 'flexible');
    this.perf_event_sched_in(cpu);
  }

  /** Active events of both contexts on a CPU (runs at every tick: plain loops, no generators). */
  activeEvents(cpu: number): PerfEvent[] {
    const cc = this.cpuctx[cpu];
    const out: PerfEvent[] = [];
    collectActive(cc.ctx, out);
    if (cc.task_ctx) collectActive(cc.task_ctx, out);
    return out;
  }

  // ---- overflow and the tick -----------------------------------------------

  /** Called by a PMU driver for an overflowed sampling event. True: the driver must stop it. */
  overflow(event: PerfEvent, cpu: number, now: number, tag: unknown = null): boolean {
    const env = this.overflowEnv[cpu];
    env.now = now;
    env.tag = tag;
    env.maxSamplesPerTick = maxSamplesPerTick(this.sysctl);
    const stop = perf_event_overflow(event, env);
    if (stop && event.hw.interrupts === MAX_INTERRUPTS) this.cpuctx[cpu].throttled.add(event);
    return stop;
  }

  /** The REFRESH budget ran out: disable once the interrupt is over (perf_pending_irq). */
  private queueDisable(event: PerfEvent): void {
    this.kernel.queue.push(this.kernel.now(), (now) => this.perf_event_disable(event, now));
  }

  /**
   * perf_event_task_tick: restart throttled events (PERF_RECORD_UNTHROTTLE) and
   * move frequency-mode periods toward their target from the last tick's count.
   */
  tick(cpu: number, now: number): void {
    this.syncCpuCtxs(cpu, now);
    const cc = this.cpuctx[cpu];
    for (const event of this.activeEvents(cpu)) {
      if (!is_sampling_event(event)) continue;
      const hwc = event.hw;
      if (cc.throttled.has(event)) {
        cc.throttled.delete(event);
        hwc.interrupts = 0;
        perf_log_throttle(event, now, cpu, true);
        event.pmu.start(event, 0);
      }
      hwc.interrupts = 0;
      if (!event.attr.freq || !event.attr.sample_freq || hwc.stopped) continue;
      event.pmu.stop(event, PERF_EF_UPDATE);
      const delta = event.count - hwc.freq_count_stamp;
      hwc.freq_count_stamp = event.count;
      if (delta > 0) perf_adjust_period(event, TICK_NSEC, delta);
      event.pmu.start(event, delta > 0 ? PERF_EF_RELOAD : 0);
    }
  }

  // ---- read, ioctl, mmap, close --------------------------------------------

  private readCount(event: PerfEvent): number {
    if (event.state === PerfEventState.ACTIVE) {
      this.syncCpuCtxs(event.ctx.activeCpu, this.kernel.now());
      event.pmu.read(event);
    }
    return event.count;
  }

  private readTimes(event: PerfEvent): void {
    const now = this.kernel.now();
    if (event.ctx.is_active) event.ctx.update_context_time(now);
    perf_event_update_time(event);
  }

  /** read(fd, buf, size): the values, -ENOSPC for a short buffer, 0 bytes for an event in ERROR. */
  read(fd: number, size: number): ReadResult | number {
    const event = this.fds.get(fd);
    if (!event) return -Errno.EBADF;
    if (event.state === PerfEventState.ERROR) return { bytes: 0, values: [] };
    const rf = event.attr.read_format;
    const leader = event.group_leader;
    const members = rf & PERF_FORMAT_GROUP ? [...leader.members()] : [event];
    const bytes = readSize(rf, members.length);
    if (size < bytes) return -Errno.ENOSPC;
    const timed = rf & PERF_FORMAT_GROUP ? leader : event;
    this.readTimes(timed);
    const result: ReadResult = { bytes, values: [] };
    if (rf & PERF_FORMAT_TOTAL_TIME_ENABLED) result.time_enabled = timed.total_time_enabled;
    if (rf & PERF_FORMAT_TOTAL_TIME_RUNNING) result.time_running = timed.total_time_running;
    for (const m of members) {
      const v: ReadResult['values'][number] = { value: this.readCount(m) };
      if (rf & PERF_FORMAT_ID) v.id = m.id;
      if (rf & PERF_FORMAT_LOST) v.lost = m.lost_samples;
      result.values.push(v);
    }
    return result;
  }

  ioctl(fd: number, request: PerfIoc, arg = 0): number {
    const event = this.fds.get(fd);
    if (!event) return -Errno.EBADF;
    const now = this.kernel.now();
    const targets = arg & PERF_IOC_FLAG_GROUP && request !== PerfIoc.REFRESH ? [...event.group_leader.members()] : [event];
    switch (request) {
      case PerfIoc.ENABLE:
        for (const e of targets) this.perf_event_enable(e, now);
        return 0;
      case PerfIoc.DISABLE:
        for (const e of targets) this.perf_event_disable(e, now);
        return 0;
      case PerfIoc.RESET:
        for (const e of targets) {
          this.readCount(e);
          e.count = 0;
          e.hw.freq_count_stamp = 0;
        }
        return 0;
      case PerfIoc.REFRESH:
        if (event.attr.inherit || !is_sampling_event(event) || arg <= 0) return -Errno.EINVAL;
        event.event_limit += arg;
        this.perf_event_enable(event, now);
        return 0;
      case PerfIoc.PERIOD:
        return this.perf_event_period(event, arg, now);
      case PerfIoc.ID:
        return event.id;
      case PerfIoc.SET_OUTPUT: {
        const target = this.fds.get(arg);
        if (!target) return -Errno.EBADF;
        if (!target.rb || target.cpu !== event.cpu) return -Errno.EINVAL;
        event.rb = target.rb;
        return 0;
      }
    }
  }

  /** mmap(fd, (1 + dataPages) * PAGE_SIZE): attach a ring buffer. */
  mmap(fd: number, dataPages: number): RingBuffer | number {
    const event = this.fds.get(fd);
    if (!event) return -Errno.EBADF;
    if (dataPages <= 0 || (dataPages & (dataPages - 1)) !== 0) return -Errno.EINVAL;
    event.rb = new RingBuffer(dataPages);
    return event.rb;
  }

  close(fd: number): number {
    const event = this.fds.get(fd);
    if (!event) return -Errno.EBADF;
    this.fds.delete(fd);
    this.perf_remove_from_context(event);
    return 0;
  }

  eventOf(fd: number): PerfEvent | undefined {
    return this.fds.get(fd);
  }

  /**
   * perf_load_guest_context: the mediated vPMU takes this CPU's core PMU for
   * the inner run loop. exclude_guest events come off without going to
   * ERROR, and both their times stand still until the put.
   */
  perf_load_guest_context(cpu: number, now: number): void {
    this.syncCpuCtxs(cpu, now);
    const cc = this.cpuctx[cpu];
    for (const ctx of [cc.ctx, cc.task_ctx]) {
      if (!ctx) continue;
      for (const g of [...ctx.pinned_groups, ...ctx.flexible_groups]) if (is_exclude_guest_hw(g)) this.group_sched_out(g);
      ctx.guestLoaded = true;
    }
  }

  /** perf_put_guest_context: the host takes its PMU back and reschedules. */
  perf_put_guest_context(cpu: number, now: number): void {
    this.syncCpuCtxs(cpu, now);
    const cc = this.cpuctx[cpu];
    for (const ctx of [cc.ctx, cc.task_ctx]) if (ctx) ctx.guestLoaded = false;
    this.ctx_resched(cpu, now, true);
  }

  /** Live events that count in guests (exclude_guest=0) on a hardware PMU: nr_include_guest_events. */
  includeGuestEvents(): PerfEvent[] {
    const out: PerfEvent[] = [];
    const ctxs = [...this.cpuctx.map((c) => c.ctx), ...this.taskCtx.values()];
    for (const ctx of ctxs)
      for (const g of [...ctx.pinned_groups, ...ctx.flexible_groups])
        for (const e of g.members())
          if (!e.attr.exclude_guest && !e.pmu.capabilities.software && e.state > PerfEventState.EXIT) out.push(e);
    return out;
  }

  /** perf_event_release_kernel: a kernel owner (KVM) lets go of its counter. */
  perf_event_release_kernel(event: PerfEvent): void {
    if (event.state > PerfEventState.EXIT) this.perf_remove_from_context(event);
  }

  /** PERF_EVENT_IOC_PERIOD from inside the kernel (KVM reprogramming a backing event). */
  setPeriod(event: PerfEvent, value: number): number {
    return this.perf_event_period(event, value, this.kernel.now());
  }

  perf_event_enable(event: PerfEvent, now: number): void {
    if (event.state >= PerfEventState.INACTIVE || event.state < PerfEventState.ERROR) return;
    this.syncCtx(event.ctx, now);
    if (event.state === PerfEventState.ERROR) event.state = PerfEventState.OFF;
    perf_event_set_state(event, PerfEventState.INACTIVE);
    const leader = event.group_leader;
    if (leader === event || leader.state === PerfEventState.ACTIVE || leader.state === PerfEventState.INACTIVE)
      this.reschedCtx(event.ctx, now, leader.attr.pinned);
  }

  perf_event_disable(event: PerfEvent, now: number): void {
    if (event.state < PerfEventState.INACTIVE) return;
    this.syncCtx(event.ctx, now);
    if (event.isGroupLeader) this.group_sched_out(event);
    else this.event_sched_out(event);
    perf_event_set_state(event, PerfEventState.OFF);
  }

  private perf_event_period(event: PerfEvent, value: number, now: number): number {
    if (!is_sampling_event(event) || value <= 0) return -Errno.EINVAL;
    if (event.attr.freq) {
      if (value > this.sysctl.perf_event_max_sample_rate) return -Errno.EINVAL;
      event.attr.sample_freq = value;
    } else {
      event.attr.sample_period = BigInt(value);
      event.hw.sample_period = value;
    }
    if (event.state === PerfEventState.ACTIVE) {
      this.syncCpuCtxs(event.ctx.activeCpu, now);
      event.pmu.stop(event, PERF_EF_UPDATE);
      event.hw.period_left = 0;
      event.pmu.start(event, PERF_EF_RELOAD);
    }
    return 0;
  }

  /** Closing a leader turns its siblings into groups of their own (perf_group_detach). */
  private perf_remove_from_context(event: PerfEvent): void {
    const now = this.kernel.now();
    const ctx = event.ctx;
    this.syncCtx(ctx, now);
    if (event.isGroupLeader) this.group_sched_out(event);
    else this.event_sched_out(event);
    perf_event_set_state(event, PerfEventState.EXIT);
    if (event.isGroupLeader) {
      const list = ctx.groupsOf(event.attr.pinned);
      list.splice(list.indexOf(event), 1);
      for (const sibling of event.sibling_list) {
        sibling.group_leader = sibling;
        sibling.groupIsSoftware = sibling.pmu.capabilities.software;
        sibling.group_index = ctx.nextGroupIndex++;
        ctx.flexible_groups.push(sibling);
      }
      event.sibling_list.length = 0;
    } else {
      const siblings = event.group_leader.sibling_list;
      siblings.splice(siblings.indexOf(event), 1);
    }
    perf_event_set_state(event, PerfEventState.DEAD);
    this.reschedCtx(ctx, now, false);
  }

  /** Count, enabled and running of an event as read(2) would give them, without an fd. */
  readEvent(event: PerfEvent): { value: number; enabled: number; running: number } {
    this.readTimes(event);
    return { value: this.readCount(event), enabled: event.total_time_enabled, running: event.total_time_running };
  }
}

function collectActive(ctx: PerfEventContext, out: PerfEvent[]): void {
  for (const list of [ctx.pinned_groups, ctx.flexible_groups])
    for (const g of list) {
      if (g.state !== PerfEventState.ACTIVE) continue;
      out.push(g);
      for (const e of g.sibling_list) if (e.state === PerfEventState.ACTIVE) out.push(e);
    }
}

/** The hardware PMU a group lives on, or the software PMU for a software-only group. */
function groupPmu(group: PerfEvent): Pmu {
  return groupHardwarePmu(group) ?? group.pmu;
}

function groupHardwarePmu(leader: PerfEvent): Pmu | null {
  for (const e of leader.members()) if (!e.pmu.capabilities.software) return e.pmu;
  return null;
}

/** The first active flexible group of this PMU, or its first flexible group. */
function ctx_event_to_rotate(ctx: PerfEventContext, pmu: Pmu): PerfEvent | undefined {
  const mine = ctx.flexible_groups.filter((g) => groupPmu(g) === pmu);
  return mine.find((g) => g.state === PerfEventState.ACTIVE) ?? mine[0];
}

/** rotate_ctx: the victim goes to the tail of the flexible list. */
function rotate_ctx(ctx: PerfEventContext, victim: PerfEvent): void {
  const list = ctx.flexible_groups;
  list.splice(list.indexOf(victim), 1);
  victim.group_index = ctx.nextGroupIndex++;
  list.push(victim);
}
