/**
 * struct task_struct, as much as the emulator needs: identity, affinity, the
 * program it runs and where it is in it. Work comes in bursts (see
 * workload/program.ts); a burst interrupted by preemption resumes where it
 * stopped, with the same stack.
 */
import { ExecContext } from '../../profile/model';
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
  private readonly tags = new Map<number, (ExecTag & { path: Int32Array })[]>();
  private readonly irqTags = new Map<ExecTag, ExecTag>();

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

  /**
   * The tag of a burst's stack. A program has few distinct paths, so tags are
   * interned per task: no allocation per burst, and the callchains cached on a
   * tag serve every sample taken on that path.
   */
  tagFor(burst: Burst): ExecTag {
    const { stack, depth } = burst;
    const h = burst.hash;
    let bucket = this.tags.get(h);
    if (bucket) {
      for (const tag of bucket) if (samePath(tag.path, stack, depth)) return tag;
    } else {
      bucket = [];
      this.tags.set(h, bucket);
    }
    const fns = this.program.functions;
    const path = stack.slice(0, depth);
    const symbols = new Int32Array(depth);
    let kernelFrom = depth;
    for (let i = 0; i < depth; i++) {
      symbols[i] = this.symbolOf[path[i]];
      if (kernelFrom === depth && fns[path[i]].mode === 'kernel') kernelFrom = i;
    }
    const ctx = fns[burst.leaf].mode === 'kernel' ? ExecContext.HostKernel : ExecContext.HostUser;
    const tag = { pid: this.pid, tid: this.tid, ctx, stack: symbols, kernelFrom, path };
    bucket.push(tag);
    return tag;
  }

  /**
   * The tag of an interrupt taken on top of `under`: its stack, then the
   * interrupt's frames, in the kernel (cached per interrupted path).
   */
  interruptedTag(under: ExecTag, frames: Int32Array): ExecTag {
    let tag = this.irqTags.get(under);
    if (!tag) {
      const stack = new Int32Array(under.stack.length + frames.length);
      stack.set(under.stack);
      stack.set(frames, under.stack.length);
      tag = { pid: this.pid, tid: this.tid, ctx: ExecContext.HostKernel, stack, kernelFrom: Math.min(under.kernelFrom, under.stack.length) };
      this.irqTags.set(under, tag);
    }
    return tag;
  }

  /** Draw the next burst of the program. */
  nextBurst(): Burst {
    nextBurst(this.program, this.rng, this.burst);
    return this.burst;
  }
}

function samePath(path: Int32Array, stack: Int32Array, depth: number): boolean {
  if (path.length !== depth) return false;
  for (let i = 0; i < depth; i++) if (path[i] !== stack[i]) return false;
  return true;
}
