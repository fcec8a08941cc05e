/**
 * What a task runs next. A host process runs its program (ProgramRunner); a
 * vCPU thread runs the KVM run loop, whose bursts are guest code in guest
 * mode or the hypervisor's exit handling (kvm/vcpu.ts). The scheduler only
 * sees bursts, so both are tasks like any other.
 */
import type { ExecContext } from '../../profile/model';

/**
 * What a CPU runs during one burst: the tag perf samples read (perf's
 * pt_regs and stack). Immutable once made, so a precise sample taken from an
 * earlier burst still sees that burst.
 */
export interface ExecTag {
  readonly pid: number;
  readonly tid: number;
  readonly ctx: ExecContext;
  /** Symbol ids root → leaf. */
  readonly stack: Int32Array;
  /** Index of the first kernel frame in `stack`, stack.length when none. */
  readonly kernelFrom: number;
  /** Callchains built from this tag, by the flags that shape them. */
  callchains?: Map<number, Int32Array>;
}

export interface BurstPlan {
  tag: ExecTag;
  /** Per-nanosecond event rates (ratesFor) of the code. */
  rates: Float64Array;
  durationNs: number;
  /** Sleep once the burst is done, 0 to stay runnable. */
  sleepNs: number;
  faultsPerMs: number;
  /** Extra ground truth to feed while it runs (a guest's own, per vCPU), or null. */
  truth: Float64Array | null;
}

export interface BurstSource {
  /** Plan the next burst of the task on this CPU, at `now`. */
  next(cpu: number, now: number): BurstPlan;
  /** The burst starts or resumes on `cpu` (VM-entry for a vCPU). */
  onRun?(cpu: number, now: number): void;
  /** The burst stops on `cpu`: ended, or (interrupted) preempted or interrupted (VM-exit for a vCPU). */
  onStop?(cpu: number, now: number, interrupted: boolean): void;
  /** The host-side code an interrupt lands on (a vCPU in guest mode exits to KVM first). */
  hostTag?(tag: ExecTag): ExecTag;
}
