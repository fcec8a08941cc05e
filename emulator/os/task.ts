/**
 * struct task_struct, as much as the emulator needs: identity, affinity, the
 * program it runs and where it is in it. Work comes in bursts (see
 * workload/program.ts); a burst interrupted by preemption resumes where it
 * stopped, with the same stack.
 */
import type { ExecContext } from '../../profile/model';
import type { Rng } from '../sim/random';
import { type Burst, type CompiledProgram, newBurst, nextBurst } from '../workload/walker';

export type TaskState = 'running' | 'runnable' | 'sleeping' | 'dead';

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
  /** Sleep to take when the current burst ends. */
  sleepAfter = 0;
  /** The current burst's tag and per-nanosecond rates, valid while remaining > 0. */
  tag: ExecTag | null = null;
  readonly rates = new Float64Array(7);
  leaf = -1;
  /** Scheduler bookkeeping: when it went on the CPU, and the ns it has run. */
  onCpuSince = 0;
  sumExecRuntime = 0;
  private readonly burst: Burst;

  constructor(
    readonly pid: number,
    readonly tid: number,
    readonly comm: string,
    readonly program: CompiledProgram,
    /** Allowed CPUs; never empty. */
    readonly affinity: readonly number[],
    /** Symbol id of each of the program's functions. */
    readonly symbolOf: Int32Array,
    private readonly rng: Rng,
  ) {
    this.burst = newBurst();
  }

  /** Draw the next burst of the program. */
  nextBurst(): Burst {
    nextBurst(this.program, this.rng, this.burst);
    return this.burst;
  }
}
