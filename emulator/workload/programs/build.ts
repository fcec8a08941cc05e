/**
 * Shorthands for writing the built-in programs: a FunctionSpec spelled out in
 * full is ten lines and the catalog has a few hundred functions.
 */
import type { EventRates, FunctionSpec, ProgramSpec } from '../program';
import { DEFAULT_RATES } from '../program';

export type Functions = Record<string, FunctionSpec>;

const KERNEL = '[kernel.kallsyms]';
export const LIBC = 'libc.so.6';
export const VDSO = '[vdso]';

/** Typical kernel code: branchy, pointer chasing through many small structures. */
const KERNEL_RATES: EventRates = { ipc: 0.9, branches: 0.2, branch_miss: 0.025, cache_refs: 0.012, cache_miss: 0.2 };
/** Tight arithmetic that lives in L1: the high-IPC end. */
export const COMPUTE_RATES: EventRates = { ipc: 3.1, branches: 0.12, branch_miss: 0.004, cache_refs: 0.0008, cache_miss: 0.05 };
/** Compilers and parsers: many hard-to-predict branches, moderate working set. */
export const BRANCHY_RATES: EventRates = { ipc: 1.4, branches: 0.22, branch_miss: 0.045, cache_refs: 0.015, cache_miss: 0.12 };
/** Data copies and page clearing: few branches, streams through the cache. */
export const COPY_RATES: EventRates = { ipc: 1.6, branches: 0.04, branch_miss: 0.004, cache_refs: 0.035, cache_miss: 0.3 };
/** Chasing pointers through a working set far larger than the cache. */
export const MEMORY_BOUND_RATES: EventRates = { ipc: 0.35, branches: 0.17, branch_miss: 0.05, cache_refs: 0.06, cache_miss: 0.42 };

export interface FnOptions {
  symbol?: string;
  self?: number;
  burst_us?: number;
  sleep_us?: number;
  faults_per_ms?: number;
  pmu_reads_per_us?: number;
  /** Over the mode's default rates. */
  rates?: Partial<EventRates>;
  /** Callee key → weight. */
  calls?: Record<string, number>;
}

/**
 * The catalog below is written at real granularity (a read() is a couple of
 * microseconds), but the emulator runs it lumped: every burst and every
 * short sleep is LUMP times longer and LUMP times rarer. Shares of time, event
 * rates and the mix of stacks stay the same; the machine handles about a
 * hundredth of the events and simulates fast. Sleeps of a millisecond or more
 * are timer sleeps (nanosleep, timeouts) and keep their length.
 */
export const LUMP = 100;
const TIMER_SLEEP_US = 1000;

function make(mode: 'user' | 'kernel', dso: string, base: EventRates, o: FnOptions): FunctionSpec {
  const sleep = o.sleep_us ?? 0;
  return {
    ...(o.symbol === undefined ? {} : { symbol: o.symbol }),
    mode,
    dso,
    self: o.self ?? 0,
    burst_us: (o.burst_us ?? 0) * LUMP,
    sleep_us: sleep < TIMER_SLEEP_US ? sleep * LUMP : sleep,
    faults_per_ms: o.faults_per_ms ?? 0,
    pmu_reads_per_us: o.pmu_reads_per_us ?? 0,
    rates: { ...base, ...o.rates },
    calls: Object.entries(o.calls ?? {}).map(([fn, weight]) => ({ fn, weight })),
  };
}

export function userFn(dso: string, o: FnOptions): FunctionSpec {
  return make('user', dso, DEFAULT_RATES, o);
}

export function kernelFn(o: FnOptions): FunctionSpec {
  return make('kernel', KERNEL, KERNEL_RATES, o);
}

/** A function that only calls `callee` (a frame on the way down). */
export function through(dso: string, callee: string): FunctionSpec {
  return userFn(dso, { calls: { [callee]: 1 } });
}

export function kernelThrough(callee: string): FunctionSpec {
  return kernelFn({ calls: { [callee]: 1 } });
}

/** glibc's startup frames above main: `_start` is in the program's own binary. */
export function startup(bin: string): Functions {
  return {
    _start: through(bin, '__libc_start_main'),
    __libc_start_main: through(LIBC, '__libc_start_call_main'),
    __libc_start_call_main: through(LIBC, 'main'),
  };
}

/** Frames that each only call the next: names[0] → names[1] → ... → callee. */
export function kernelChain(names: readonly string[], callee: string): Functions {
  return Object.fromEntries(names.map((name, i) => [name, kernelThrough(names[i + 1] ?? callee)]));
}

/**
 * A leaf that is one page fault per burst: the page-faults software event
 * then counts the faults the stacks show.
 */
export function faultLeaf(burst_us: number, rates: Partial<EventRates> = {}): FunctionSpec {
  return kernelFn({ self: 1, burst_us, faults_per_ms: 1000 / burst_us, rates });
}

/**
 * One program out of parts. Parts may define the same function only
 * identically (shared kernel paths): anything else would silently replace a
 * function another part relies on.
 */
export function program(comm: string, entry: string, ...parts: Functions[]): ProgramSpec {
  const functions: Functions = {};
  for (const part of parts) {
    for (const [key, fn] of Object.entries(part)) {
      if (Object.hasOwn(functions, key) && JSON.stringify(functions[key]) !== JSON.stringify(fn)) {
        throw new Error(`program "${comm}": two different definitions of "${key}"`);
      }
      functions[key] = fn;
    }
  }
  return { comm, entry, functions };
}
