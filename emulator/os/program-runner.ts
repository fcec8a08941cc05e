/**
 * A thread running a workload program: draws bursts from the walker and
 * interns one ExecTag per distinct stack path (a program has few), so a
 * burst allocates nothing and the callchains cached on a tag serve every
 * sample taken on that path. The same runner serves host processes and the
 * threads of a guest, which differ only in the contexts their code runs in.
 */
import type { ExecContext } from '../../profile/model';
import { ratesFor } from '../hw/cpu';
import type { PmuModel } from '../hw/pmu-model';
import type { Rng } from '../sim/random';
import { type Burst, type CompiledProgram, newBurst, nextBurst } from '../workload/walker';
import type { BurstPlan, ExecTag } from './burst-source';
import type { SymbolTable } from './symbols';

export interface RunnerContexts {
  user: ExecContext;
  kernel: ExecContext;
}

export class ProgramRunner {
  private readonly burst: Burst = newBurst();
  private readonly tags = new Map<number, (ExecTag & { hash2: number })[]>();
  private readonly symbolOf: Int32Array;
  private readonly kicks: Uint8Array;
  /** The plan object is reused: the caller copies what it keeps. */
  private readonly plan: BurstPlan;

  constructor(
    readonly program: CompiledProgram,
    readonly pid: number,
    readonly tid: number,
    symbols: SymbolTable,
    /** The symbol namespace: '' for the host, a VM's name for its guest. */
    space: string,
    private readonly contexts: RunnerContexts,
    private readonly model: PmuModel,
    private readonly rng: Rng,
  ) {
    this.symbolOf = Int32Array.from(program.functions, (f) => symbols.intern(f.name, f.dso, f.mode === 'kernel', space));
    this.kicks = Uint8Array.from(program.functions, (f) => (/notify|kick/.test(f.name) ? 1 : 0));
    this.plan = { tag: null as unknown as ExecTag, rates: new Float64Array(7), durationNs: 0, sleepNs: 0, faultsPerMs: 0, truth: null };
  }

  next(): BurstPlan {
    const burst = this.burst;
    nextBurst(this.program, this.rng, burst);
    const leaf = this.program.functions[burst.leaf];
    const plan = this.plan;
    plan.tag = this.tagFor(burst);
    ratesFor(this.model, leaf.rates, plan.rates);
    plan.durationNs = Math.max(1, Math.round(burst.durationNs));
    plan.sleepNs = Math.round(burst.sleepNs);
    plan.faultsPerMs = leaf.faults_per_ms;
    return plan;
  }

  /** Reads of its own PMU counters per microsecond in the leaf of the last burst (pmu-poll). */
  get pmuReadsPerUs(): number {
    return this.program.functions[this.burst.leaf]?.pmu_reads_per_us ?? 0;
  }

  /**
   * Whether the last burst ended notifying a device (a virtio queue kick):
   * in a guest, that write traps to the VMM as an I/O exit.
   */
  get leafKicksDevice(): boolean {
    return this.kicks[this.burst.leaf] === 1;
  }

  private tagFor(burst: Burst): ExecTag {
    const { stack, depth, hash2 } = burst;
    const h = burst.hash;
    let bucket = this.tags.get(h);
    if (bucket) {
      for (const tag of bucket) if (tag.hash2 === hash2 && tag.stack.length === depth) return tag;
    } else {
      bucket = [];
      this.tags.set(h, bucket);
    }
    const fns = this.program.functions;
    const symbols = new Int32Array(depth);
    let kernelFrom = depth;
    for (let i = 0; i < depth; i++) {
      symbols[i] = this.symbolOf[stack[i]];
      if (kernelFrom === depth && fns[stack[i]].mode === 'kernel') kernelFrom = i;
    }
    const ctx = fns[burst.leaf].mode === 'kernel' ? this.contexts.kernel : this.contexts.user;
    const tag = { pid: this.pid, tid: this.tid, ctx, stack: symbols, kernelFrom, hash2 };
    bucket.push(tag);
    return tag;
  }
}
