/**
 * The kernel model a machine runs: tasks, a per-CPU round-robin scheduler
 * with a tick, wakeups that pick a CPU as select_task_rq does (previous CPU
 * if idle, else an idle allowed CPU, else the previous one), idle pulling
 * from busy runqueues, and the perf hooks on each of those paths
 * (sched in/out, context-switch and migration software events, the tick).
 */
import { ExecContext } from '../../profile/model';
import { type Cpu, ratesFor } from '../hw/cpu';
import { type EventQueue, SimTimer } from '../sim/event-queue';
import type { Rng } from '../sim/random';
import {
  PERF_CONTEXT_KERNEL,
  PERF_CONTEXT_USER,
  PERF_RECORD_MISC_CPUMODE_UNKNOWN,
  PERF_RECORD_MISC_GUEST_KERNEL,
  PERF_RECORD_MISC_GUEST_USER,
  PERF_RECORD_MISC_KERNEL,
  PERF_RECORD_MISC_USER,
  PerfSwId,
} from '../perf/attr';
import type { PerfCore } from '../perf/core';
import type { PerfEvent } from '../perf/event';
import type { SampleRegs } from '../perf/overflow';
import type { SwPmu } from '../perf/sw-pmu';
import { TICK_NSEC } from '../perf/sysctl';
import type { EventRates } from '../workload/program';
import type { CompiledProgram } from '../workload/walker';
import type { BurstSource } from './burst-source';
import { ProgramRunner } from './program-runner';
import type { SymbolTable } from './symbols';
import { type ExecTag, Task } from './task';

const HOST_CONTEXTS = { user: ExecContext.HostUser, kernel: ExecContext.HostKernel };

/** A scheduler slice: a task with others waiting is preempted at the tick after this. */
const SCHED_SLICE_NS = 3_000_000;
/** Interrupt code: short, branchy, cache-cold. */
const IRQ_RATES: EventRates = { ipc: 0.7, branches: 0.2, branch_miss: 0.03, cache_refs: 0.02, cache_miss: 0.3 };
/** How long the timer interrupt runs on a busy CPU. */
const TIMER_IRQ_NS = 2_000;

/** The timer interrupt's frames, outermost first, as each architecture's kernel shows them. */
const TIMER_IRQ_FRAMES: Record<'x86_64' | 'arm64', readonly string[]> = {
  x86_64: [
    'asm_sysvec_apic_timer_interrupt',
    'sysvec_apic_timer_interrupt',
    '__sysvec_apic_timer_interrupt',
    'hrtimer_interrupt',
    '__hrtimer_run_queues',
    'tick_nohz_handler',
    'update_process_times',
    'sched_tick',
  ],
  arm64: ['el1h_64_irq', 'el1h_64_irq_handler', 'gic_handle_irq', 'generic_handle_domain_irq', 'arch_timer_handler_phys', 'hrtimer_interrupt', '__hrtimer_run_queues', 'tick_nohz_handler', 'update_process_times', 'sched_tick'],
};

interface RunQueue {
  curr: Task | null;
  /** In the timer interrupt on top of curr (the burst timer then marks its end). */
  inIrq: boolean;
  queue: Task[];
  burstTimer: SimTimer;
  idleTag: ExecTag;
}

export class Kernel {
  readonly tasks = new Map<number, Task>();
  private readonly rq: RunQueue[];
  private nextPid = 1000;
  perf!: PerfCore;
  swPmu!: SwPmu;

  private readonly timerIrqFrames: Int32Array;
  private readonly irqRates: Float64Array;

  constructor(
    readonly cpus: readonly Cpu[],
    readonly queue: EventQueue,
    readonly symbols: SymbolTable,
    private readonly clock: { now: number },
  ) {
    const arch = cpus[0].model.arch;
    this.timerIrqFrames = Int32Array.from(TIMER_IRQ_FRAMES[arch], (n) => symbols.intern(n, '[kernel.kallsyms]', true));
    this.irqRates = ratesFor(cpus[0].model, IRQ_RATES, new Float64Array(7));
    const idleStack = ['secondary_startup_64', 'start_secondary', 'cpu_startup_entry', 'do_idle', 'default_idle_call', 'default_idle'].map((n) =>
      symbols.intern(n, '[kernel.kallsyms]', true),
    );
    this.rq = cpus.map((cpu, i) => ({
      curr: null,
      inIrq: false,
      queue: [],
      burstTimer: new SimTimer(queue, (now) => this.burstEnd(i, now)),
      idleTag: { pid: 0, tid: 0, ctx: ExecContext.HostKernel, stack: Int32Array.from(idleStack), kernelFrom: 0 },
    }));
  }

  now(): number {
    return this.clock.now;
  }

  /** Boot: every CPU idles and ticks. */
  boot(): void {
    this.cpus.forEach((cpu, i) => {
      cpu.execute(0, ExecContext.HostKernel, null, this.rq[i].idleTag);
      this.armTick(i, TICK_NSEC);
    });
  }

  /** fork + exec of one thread of `program`; it becomes runnable now. */
  spawn(program: CompiledProgram, comm: string, pid: number | null, affinity: readonly number[], rng: Rng): Task {
    return this.spawnWith(comm, pid, affinity, (p, tid) => {
      const runner = new ProgramRunner(program, p, tid, this.symbols, '', HOST_CONTEXTS, this.cpus[0].model, rng);
      return { next: () => runner.next() };
    });
  }

  /** A new thread whose bursts come from `source` (a vCPU thread's run loop, for one). */
  spawnWith(
    comm: string,
    pid: number | null,
    affinity: readonly number[],
    source: (pid: number, tid: number) => BurstSource,
    start = true,
  ): Task {
    const tid = this.nextPid++;
    const task = new Task(pid ?? tid, tid, comm, affinity, source(pid ?? tid, tid));
    this.tasks.set(tid, task);
    if (start) this.wakeUp(task, this.now());
    return task;
  }

  /**
   * Hold a task off every CPU until `until` (Infinity: until woken), keeping
   * the rest of its burst for when it runs again — the VMM stopping a vCPU.
   */
  freeze(tid: number, until: number): void {
    const task = this.tasks.get(tid);
    if (!task) return;
    const now = this.now();
    if (task.state === 'running') {
      const cpu = task.cpu;
      if (this.rq[cpu].inIrq) this.rq[cpu].inIrq = false;
      this.pauseBurst(cpu, task, now);
      this.sleepUntil(task, until);
      this.contextSwitch(cpu, this.pickNext(cpu), now);
      return;
    }
    if (task.state === 'runnable') for (const rq of this.rq) rq.queue.splice(rq.queue.indexOf(task) >>> 0, rq.queue.includes(task) ? 1 : 0);
    this.sleepUntil(task, until);
  }

  private sleepUntil(task: Task, until: number): void {
    task.state = 'sleeping';
    const gen = ++task.sleepGen;
    if (!Number.isFinite(until)) return;
    this.queue.push(until, (t) => {
      if (task.state === 'sleeping' && task.sleepGen === gen) this.wakeUp(task, t);
    });
  }

  /** Wake a task that sleeps now (its pending wakeup then finds it running and does nothing). */
  wakeIfSleeping(task: Task): void {
    if (task.state === 'sleeping') this.wakeUp(task, this.now());
  }

  /** Make a new task runnable (wake_up_new_task). */
  wake(task: Task): void {
    this.wakeUp(task, this.now());
  }

  /**
   * Interrupt a running task's CPU (an IPI or a PMI): it leaves its burst and
   * resumes it at once — for a vCPU in guest mode, a VM-exit and a re-entry,
   * where KVM injects what is pending.
   */
  kick(tid: number): void {
    const task = this.tasks.get(tid);
    if (!task || task.state !== 'running') return;
    this.queue.push(this.now(), (now) => {
      const cpu = task.cpu;
      const rq = this.rq[cpu];
      if (rq.curr !== task || rq.inIrq || task.remaining <= 0) return;
      this.pauseBurst(cpu, task, now);
      this.runBurst(cpu, task, now);
    });
  }

  /** A pid for a process whose threads come later (a VMM). */
  allocPid(): number {
    return this.nextPid++;
  }

  taskExists(pid: number): boolean {
    for (const t of this.tasks.values()) if (t.pid === pid || t.tid === pid) return true;
    return false;
  }

  taskCpu(tid: number): number {
    const task = this.tasks.get(tid);
    return task?.state === 'running' ? task.cpu : -1;
  }

  syncCpu(cpu: number, now: number): void {
    this.cpus[cpu].sync(now);
  }

  cpuState(cpu: number): { ctx: ExecContext; idle: boolean } {
    const rq = this.rq[cpu];
    return { ctx: rq.curr?.tag?.ctx ?? ExecContext.HostKernel, idle: rq.curr === null };
  }

  current(cpu: number): Task | null {
    return this.rq[cpu].curr;
  }

  /** perf_prepare_sample's view of the interrupted code (or of the precise overflow point). */
  sampleRegs(cpu: number, event: PerfEvent, tag: unknown): SampleRegs {
    const rq = this.rq[cpu];
    // Clock events sample from an hrtimer, which expires inside the same
    // hrtimer_interrupt as the tick: get_irq_regs() is the interrupted task.
    const hrtimer = event.pmu.capabilities.software && rq.inIrq;
    const now = hrtimer ? rq.curr?.tag : this.cpus[cpu].execTag;
    const t = ((tag ?? now) as ExecTag | null | undefined) ?? rq.idleTag;
    const leaf = t.stack[t.stack.length - 1];
    // In guest mode the host's current task is the vCPU thread; the IP is the guest's.
    const task = isGuest(t.ctx) ? rq.curr : null;
    return {
      pid: task?.pid ?? t.pid,
      tid: task?.tid ?? t.tid,
      cpumode: CONTEXT_CPUMODE[t.ctx],
      exact: tag !== null,
      ip: leaf ?? -1,
      callchain: isGuest(t.ctx) ? GUEST_CALLCHAIN : perf_callchain(t, event),
    };
  }

  // ---- scheduling ----------------------------------------------------------

  private armTick(cpu: number, at: number): void {
    this.queue.push(at, (now) => {
      this.schedulerTick(cpu, now);
      this.armTick(cpu, now + TICK_NSEC);
    });
  }

  /**
   * The timer interrupt: it runs on top of whatever the task was doing (its
   * stack below the interrupt frames), then the task resumes, or is preempted
   * on the way out if its slice is used up and others wait. An idle CPU takes
   * no tick (NO_HZ idle).
   */
  private schedulerTick(cpu: number, now: number): void {
    this.perf.tick(cpu, now);
    const rq = this.rq[cpu];
    const curr = rq.curr;
    if (!curr?.tag || rq.inIrq) return;
    this.pauseBurst(cpu, curr, now);
    rq.inIrq = true;
    const end = now + TIMER_IRQ_NS;
    this.cpus[cpu].execute(now, ExecContext.HostKernel, this.irqRates, curr.interruptedTag(curr.tag, this.timerIrqFrames), end);
    rq.burstTimer.arm(end);
  }

  /** irq_exit: back to the task, or to the next one if the tick used up its slice. */
  private irqExit(cpu: number, task: Task, now: number): void {
    const rq = this.rq[cpu];
    rq.inIrq = false;
    if (rq.queue.length > 0 && now - task.onCpuSince >= SCHED_SLICE_NS) {
      task.state = 'runnable';
      rq.queue.push(task);
      this.contextSwitch(cpu, rq.queue.shift() ?? null, now);
      return;
    }
    this.runBurst(cpu, task, now);
  }

  /** try_to_wake_up: choose a CPU and run there now if it idles. */
  private wakeUp(task: Task, now: number): void {
    task.state = 'runnable';
    const allowed = task.affinity;
    const idle = (c: number) => this.rq[c].curr === null && this.rq[c].queue.length === 0;
    let target: number;
    if (task.cpu >= 0 && allowed.includes(task.cpu) && idle(task.cpu)) target = task.cpu;
    else target = allowed.find(idle) ?? (allowed.includes(task.cpu) ? task.cpu : this.leastLoaded(allowed));
    const rq = this.rq[target];
    if (rq.curr === null) this.contextSwitch(target, task, now);
    else rq.queue.push(task);
  }

  private leastLoaded(allowed: readonly number[]): number {
    let best = allowed[0];
    for (const c of allowed) if (this.rq[c].queue.length < this.rq[best].queue.length) best = c;
    return best;
  }

  /** __schedule: perf's sched_out/sched_in around the switch, with the cs and migration events. */
  private contextSwitch(cpu: number, next: Task | null, now: number): void {
    const rq = this.rq[cpu];
    const prev = rq.curr;
    this.cpus[cpu].sync(now);
    if (prev === next) return;
    this.swPmu.perf_sw_event(PerfSwId.CONTEXT_SWITCHES, 1, cpu, ExecContext.HostKernel);
    if (prev) {
      prev.sumExecRuntime += now - prev.onCpuSince;
      this.perf.task_sched_out(prev.tid, cpu, now);
    }
    rq.curr = next;
    rq.burstTimer.cancel();
    if (!next) {
      this.cpus[cpu].execute(now, ExecContext.HostKernel, null, rq.idleTag);
      return;
    }
    if (next.cpu !== cpu && next.cpu >= 0) this.swPmu.perf_sw_event(PerfSwId.CPU_MIGRATIONS, 1, cpu, ExecContext.HostKernel);
    next.cpu = cpu;
    next.state = 'running';
    next.onCpuSince = now;
    this.perf.task_sched_in(next.tid, cpu, now);
    this.runBurst(cpu, next, now);
  }

  /** Run (or resume) the task's current burst on the CPU. */
  private runBurst(cpu: number, task: Task, now: number): void {
    if (task.remaining <= 0) task.plan(cpu, now);
    const tag = task.tag as ExecTag;
    task.runStart = now;
    task.burstEnd = now + task.remaining;
    task.source.onRun?.(cpu, now);
    this.cpus[cpu].execute(now, tag.ctx, task.rates, tag, task.burstEnd, task.truth);
    this.rq[cpu].burstTimer.arm(task.burstEnd);
  }

  /** Preemption: remember how much of the burst is left. */
  private pauseBurst(cpu: number, task: Task, now: number): void {
    this.chargeFaults(cpu, task, now);
    task.remaining = Math.max(1, task.burstEnd - now);
    this.rq[cpu].burstTimer.cancel();
    this.cpus[cpu].sync(now);
    task.source.onStop?.(cpu, now, true);
  }

  private burstEnd(cpu: number, now: number): void {
    const rq = this.rq[cpu];
    const task = rq.curr;
    if (!task) return;
    if (rq.inIrq) {
      this.irqExit(cpu, task, now);
      return;
    }
    this.chargeFaults(cpu, task, now);
    task.remaining = 0;
    this.cpus[cpu].sync(now);
    task.source.onStop?.(cpu, now, false);
    if (task.sleepAfter > 0) {
      // A task woken early (wakeIfSleeping, freeze) is not woken twice by this sleep's timer.
      this.sleepUntil(task, now + task.sleepAfter);
      this.contextSwitch(cpu, this.pickNext(cpu), now);
      return;
    }
    this.runBurst(cpu, task, now);
  }

  /** Page faults of the code that ran since the burst (re)started on this CPU. */
  private chargeFaults(cpu: number, task: Task, now: number): void {
    const perMs = task.faultsPerMs;
    if (perMs <= 0 || !task.tag) return;
    const ran = now - task.runStart;
    const n = Math.floor((ran / 1e6) * perMs + task.faultCarry);
    task.faultCarry = (ran / 1e6) * perMs + task.faultCarry - n;
    if (n > 0) this.swPmu.perf_sw_event(PerfSwId.PAGE_FAULTS, n, cpu, task.tag.ctx);
  }

  /** The next task for a CPU: its own queue, else pulled from the busiest queue it may run (newidle balance). */
  private pickNext(cpu: number): Task | null {
    const own = this.rq[cpu].queue.shift();
    if (own) return own;
    let from: RunQueue | null = null;
    for (const rq of this.rq) {
      if (!rq.queue.some((t) => t.affinity.includes(cpu))) continue;
      if (!from || rq.queue.length > from.queue.length) from = rq;
    }
    if (!from) return null;
    const i = from.queue.findIndex((t) => t.affinity.includes(cpu));
    return from.queue.splice(i, 1)[0];
  }
}

/** perf_misc_flags: the sample's cpumode for the context the PMI interrupted. */
const CONTEXT_CPUMODE: Record<ExecContext, number> = {
  [ExecContext.HostUser]: PERF_RECORD_MISC_USER,
  [ExecContext.HostKernel]: PERF_RECORD_MISC_KERNEL,
  // KVM's own code is host kernel code.
  [ExecContext.Hypervisor]: PERF_RECORD_MISC_KERNEL,
  [ExecContext.GuestKernel]: PERF_RECORD_MISC_GUEST_KERNEL,
  [ExecContext.GuestUser]: PERF_RECORD_MISC_GUEST_USER,
  [ExecContext.Unknown]: PERF_RECORD_MISC_CPUMODE_UNKNOWN,
};

function isGuest(ctx: ExecContext): boolean {
  return ctx === ExecContext.GuestKernel || ctx === ExecContext.GuestUser;
}

/**
 * A sample taken in guest mode: get_perf_callchain stores its context
 * markers, but the x86 kernel and user unwinders return at once when
 * perf_guest_state() is set — the host cannot walk a guest's stack.
 */
const GUEST_CALLCHAIN = Int32Array.of(PERF_CONTEXT_KERNEL, PERF_CONTEXT_USER);

/**
 * perf_callchain: kernel frames (leaf first) after PERF_CONTEXT_KERNEL, then
 * the user frames after PERF_CONTEXT_USER, honouring
 * exclude_callchain_kernel/user and sample_max_stack. Cached per tag.
 */
export function perf_callchain(tag: ExecTag, event: PerfEvent): Int32Array {
  const attr = event.attr;
  const key = (attr.exclude_callchain_kernel ? 1 : 0) | (attr.exclude_callchain_user ? 2 : 0) | (attr.sample_max_stack << 2);
  const cached = tag.callchains?.get(key);
  if (cached) return cached;
  const out: number[] = [];
  let frames = 0;
  const max = attr.sample_max_stack;
  const { stack, kernelFrom } = tag;
  if (kernelFrom < stack.length && !attr.exclude_callchain_kernel) {
    out.push(PERF_CONTEXT_KERNEL);
    for (let i = stack.length - 1; i >= kernelFrom && frames < max; i--, frames++) out.push(stack[i]);
  }
  if (kernelFrom > 0 && !attr.exclude_callchain_user && tag.pid !== 0) {
    out.push(PERF_CONTEXT_USER);
    for (let i = kernelFrom - 1; i >= 0 && frames < max; i--, frames++) out.push(stack[i]);
  }
  const chain = Int32Array.from(out);
  (tag.callchains ??= new Map()).set(key, chain);
  return chain;
}
