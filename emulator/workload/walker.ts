/**
 * A program compiled for the hot path. Every task draws its next burst here
 * (program.ts says how): about 100k times per simulated second, so function
 * names become indices, each function's choices become one run of a
 * cumulative-weight table, and a burst is written into a reused Burst.
 *
 * The sequence of bursts depends only on the Rng: one draw per function with
 * more than one choice, root to leaf, then one for the burst's length, then
 * one for the sleep after it when the leaf sleeps.
 */
import type { Arch } from '../scenario/types';
import type { Rng } from '../sim/random';
import { arm64Frames } from './arch-frames';
import type { EventRates, FunctionSpec, ProgramSpec } from './program';

/**
 * Deepest stack a walk makes; recursive programs stop here and run the
 * deepest function. perf's own limit (kernel.perf_event_max_stack defaults
 * to 127): real stacks through a syscall, TCP transmit and a softirq that
 * receives the ACKs already reach 64 frames.
 */
export const MAX_STACK_DEPTH = 127;

export const MODE_USER = 0;
export const MODE_KERNEL = 1;

/**
 * Mean burst of a function without own code when the depth cap makes it run
 * anyway: it has no burst_us of its own, and a zero-length burst would stall
 * simulated time.
 */
const CAPPED_BURST_US = 10;

/** One function (one frame) of a compiled program. */
export interface CompiledFunction {
  /** Symbol shown in stacks. Several functions may share one (see FunctionSpec.symbol). */
  readonly name: string;
  readonly dso: string;
  readonly mode: 'user' | 'kernel';
  readonly rates: EventRates;
  readonly faults_per_ms: number;
  readonly pmu_reads_per_us: number;
}

export interface CompiledProgram {
  readonly comm: string;
  /** Index of the root frame of every stack. */
  readonly entry: number;
  /** Per function, by index. arm64 entry frames (see arch-frames.ts) come after the program's own. */
  readonly functions: readonly CompiledFunction[];
  /** Per function: MODE_USER or MODE_KERNEL. */
  readonly modes: Uint8Array;
  /** Per function: mean burst of its own code, and mean sleep after it (0: none), ns. */
  readonly burstNs: Float64Array;
  readonly sleepNs: Float64Array;
  /**
   * Walk tables: function f's choices are [choiceStart[f], choiceStart[f + 1]),
   * each a callee index (or -1: run own code) with the running total of the
   * weights up to and including it.
   */
  readonly choiceStart: Int32Array;
  readonly choiceFn: Int32Array;
  readonly choiceCum: Float64Array;
}

/** The result of one walk. Reused from burst to burst: copy what must outlive the next one. */
export interface Burst {
  /** stack[0 .. depth): function indices, root first. */
  readonly stack: Int32Array;
  depth: number;
  /**
   * Two independent hashes of stack[0 .. depth) (polynomial and FNV-1a): with
   * the depth they identify a path for interning (tags, callchains) without
   * comparing deep stacks; a collision of both is about one in 2^64.
   */
  hash: number;
  hash2: number;
  /** The function whose own code runs (stack[depth - 1]): its mode, rates, faults and PMU reads. */
  leaf: number;
  /** Length of the burst. */
  durationNs: number;
  /** Sleep once the burst is done, 0 to stay runnable. */
  sleepNs: number;
}

export function newBurst(): Burst {
  return { stack: new Int32Array(MAX_STACK_DEPTH), depth: 0, hash: 0, hash2: 0, leaf: -1, durationNs: 0, sleepNs: 0 };
}

/** Walk `program` from its entry and write the next burst into `out`. */
export function nextBurst(program: CompiledProgram, rng: Rng, out: Burst): void {
  const { choiceStart, choiceFn, choiceCum } = program;
  const stack = out.stack;
  let f = program.entry;
  let depth = 0;
  let hash = 0;
  let hash2 = 0x811c9dc5;
  for (;;) {
    stack[depth++] = f;
    hash = (Math.imul(hash, 31) + f + 1) | 0;
    hash2 = Math.imul(hash2 ^ (f + 1), 0x01000193);
    if (depth === MAX_STACK_DEPTH) break;
    const start = choiceStart[f];
    const last = choiceStart[f + 1] - 1;
    let i = start;
    // A single choice needs no draw: pass-through frames cost nothing.
    if (last > start) {
      const r = rng.next() * choiceCum[last];
      while (i < last && choiceCum[i] <= r) i++;
    }
    const callee = choiceFn[i];
    if (callee < 0) break;
    f = callee;
  }
  out.depth = depth;
  out.hash = hash;
  out.hash2 = hash2;
  out.leaf = f;
  out.durationNs = rng.exponential(program.burstNs[f]);
  const sleep = program.sleepNs[f];
  out.sleepNs = sleep > 0 ? rng.exponential(sleep) : 0;
}

interface Frame {
  name: string;
  spec: FunctionSpec;
  /** Callee frame index, or -1 for own code; with its weight. */
  choices: { to: number; weight: number }[];
}

/**
 * Check `spec` and compile it. On arm64, x86_64 kernel names are shown as
 * their arm64 counterparts (arch-frames.ts); the walk's weights are the same.
 */
export function compileProgram(spec: ProgramSpec, arch: Arch = 'x86_64'): CompiledProgram {
  const keys = Object.keys(spec.functions);
  validate(spec, keys);
  const index = new Map(keys.map((k, i) => [k, i]));

  // Function i of the spec is frame i and keeps its own code and calls; extra
  // arm64 frames above it are appended and only call the next frame down.
  const frames: Frame[] = keys.map((k) => ({ name: '', spec: spec.functions[k], choices: [] }));
  const head = keys.map((k, i) => {
    const fn = spec.functions[k];
    const names = arch === 'arm64' ? arm64Frames(fn.symbol ?? k) : [fn.symbol ?? k];
    frames[i].name = names[names.length - 1];
    let top = i;
    for (let j = names.length - 2; j >= 0; j--) {
      frames.push({ name: names[j], spec: fn, choices: [{ to: top, weight: 1 }] });
      top = frames.length - 1;
    }
    return top;
  });
  keys.forEach((k, i) => {
    const fn = spec.functions[k];
    const choices = frames[i].choices;
    if (fn.self > 0) choices.push({ to: -1, weight: fn.self });
    for (const c of fn.calls) if (c.weight > 0) choices.push({ to: head[index.get(c.fn) as number], weight: c.weight });
  });

  const n = frames.length;
  const choiceStart = new Int32Array(n + 1);
  frames.forEach((fr, f) => (choiceStart[f + 1] = choiceStart[f] + fr.choices.length));
  const choiceFn = new Int32Array(choiceStart[n]);
  const choiceCum = new Float64Array(choiceStart[n]);
  frames.forEach((fr, f) => {
    let sum = 0;
    fr.choices.forEach((c, j) => {
      sum += c.weight;
      choiceFn[choiceStart[f] + j] = c.to;
      choiceCum[choiceStart[f] + j] = sum;
    });
  });

  return {
    comm: spec.comm,
    entry: head[index.get(spec.entry) as number],
    functions: frames.map(({ name, spec: fn }) => ({
      name,
      dso: fn.dso,
      mode: fn.mode,
      rates: fn.rates,
      faults_per_ms: fn.faults_per_ms,
      pmu_reads_per_us: fn.pmu_reads_per_us,
    })),
    modes: Uint8Array.from(frames, (fr) => (fr.spec.mode === 'kernel' ? MODE_KERNEL : MODE_USER)),
    burstNs: Float64Array.from(frames, (fr) => (fr.spec.burst_us > 0 ? fr.spec.burst_us : CAPPED_BURST_US) * 1000),
    sleepNs: Float64Array.from(frames, (fr) => fr.spec.sleep_us * 1000),
    choiceStart,
    choiceFn,
    choiceCum,
  };
}

function validate(spec: ProgramSpec, keys: string[]): void {
  const fail = (what: string): never => {
    throw new Error(`program "${spec.comm}": ${what}`);
  };
  const has = (k: string): boolean => Object.hasOwn(spec.functions, k);
  const nonNegative = (x: number): boolean => Number.isFinite(x) && x >= 0;
  if (!has(spec.entry)) fail(`entry "${spec.entry}" is not one of its functions`);
  for (const k of keys) {
    const fn = spec.functions[k];
    const where = `function "${k}"`;
    if (fn.mode !== 'user' && fn.mode !== 'kernel') fail(`${where}: mode must be user or kernel, not "${fn.mode}"`);
    for (const field of ['self', 'burst_us', 'sleep_us', 'faults_per_ms', 'pmu_reads_per_us'] as const) {
      if (!nonNegative(fn[field])) fail(`${where}: ${field} must be a number >= 0, not ${fn[field]}`);
    }
    if (fn.self > 0 && !(fn.burst_us > 0)) fail(`${where}: has own code (self > 0) but burst_us is 0`);
    if (!(fn.rates.ipc > 0) || !Object.values(fn.rates).every(nonNegative)) fail(`${where}: rates must be numbers >= 0 and ipc > 0`);
    let weights = 0;
    for (const c of fn.calls) {
      if (!has(c.fn)) fail(`${where} calls "${c.fn}", which is not one of its functions`);
      if (!nonNegative(c.weight)) fail(`${where}: the weight of its call to "${c.fn}" must be a number >= 0, not ${c.weight}`);
      weights += c.weight;
    }
    if (!(fn.self > 0) && !(weights > 0)) fail(`${where} has neither own code (self > 0) nor calls with weight > 0`);
  }
}
