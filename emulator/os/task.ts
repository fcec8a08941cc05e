/**
 * struct task_struct, as much as the emulator needs: identity, affinity, and
 * where it is in its current burst. What it runs comes from its BurstSource
 * (a program, or a vCPU's run loop); a burst interrupted by preemption
 * resumes where it stopped, with the same stack.
 */
import { ExecContext } from '../../profile/model';
import type { BurstSource, ExecTag } from './burst-source';

export type { ExecTag } from './burst-source';
export type TaskState = 'running' | 'runnable' | 'sleeping' | 'dead';

export class Task {
  state: TaskState = 'runnable';
  /** The CPU it last ran on, -1 before it first runs. */
  cpu = -1;
  /** Nanoseconds of the current burst still to run; 0 when a new burst is due. */
  remaining = 0;
  /** While on a CPU: when this stretch of the burst started, and when the burst ends. */
  runStart = 0;
  burstEnd = 0;
  /** Fractional page faults carried between stretches, so rates hold exactly over time. */
  faultCarry = 0;
  faultsPerMs = 0;
  /** Which sleep a pending wakeup belongs to. */
  sleepGen = 0;
  /** Sleep to take when the current burst ends. */
  sleepAfter = 0;
  /** The current burst's tag, rates and extra truth sink, valid while remaining > 0. */
  tag: ExecTag | null = null;
  readonly rates = new Float64Array(7);
  truth: Float64Array | null = null;
  /** Scheduler bookkeeping: when it went on the CPU, and the ns it has run. */
  onCpuSince = 0;
  sumExecRuntime = 0;
  private readonly irqTags = new Map<ExecTag, ExecTag>();

  constructor(
    readonly pid: number,
    readonly tid: number,
    readonly comm: string,
    /** Allowed CPUs; never empty. */
    readonly affinity: readonly number[],
    readonly source: BurstSource,
  ) {}

  /** Take the source's next burst as the current one. */
  plan(cpu: number, now: number): void {
    const p = this.source.next(cpu, now);
    this.tag = p.tag;
    this.rates.set(p.rates);
    this.truth = p.truth;
    this.remaining = Math.max(1, p.durationNs);
    this.sleepAfter = p.sleepNs;
    this.faultsPerMs = p.faultsPerMs;
  }

  /**
   * The tag of an interrupt taken on top of `under`: its stack (the host side
   * of it, for a vCPU in guest mode), then the interrupt's frames, in the
   * kernel (cached per interrupted path).
   */
  interruptedTag(under: ExecTag, frames: Int32Array): ExecTag {
    let tag = this.irqTags.get(under);
    if (!tag) {
      const host = this.source.hostTag?.(under) ?? under;
      const stack = new Int32Array(host.stack.length + frames.length);
      stack.set(host.stack);
      stack.set(frames, host.stack.length);
      tag = { pid: this.pid, tid: this.tid, ctx: ExecContext.HostKernel, stack, kernelFrom: Math.min(host.kernelFrom, host.stack.length) };
      this.irqTags.set(under, tag);
    }
    return tag;
  }
}
