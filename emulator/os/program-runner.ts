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
  private readonly tags = new Map<number, (ExecTag & { path: Int32Array })[]>();
  private readonly symbolOf: Int32Array;
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

  /** The function the last burst runs (its own code). */
  get leafName(): string {
    return this.program.functions[this.burst.leaf]?.name ?? '';
  }

  private tagFor(burst: Burst): ExecTag {
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
    const ctx = fns[burst.leaf].mode === 'kernel' ? this.contexts.kernel : this.contexts.user;
    const tag = { pid: this.pid, tid: this.tid, ctx, stack: symbols, kernelFrom, path };
    bucket.push(tag);
    return tag;
  }
}

function samePath(path: Int32Array, stack: Int32Array, depth: number): boolean {
  if (path.length !== depth) return false;
  for (let i = 0; i < depth; i++) if (path[i] !== stack[i]) return false;
  return true;
}
