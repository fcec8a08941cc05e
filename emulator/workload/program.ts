/**
 * Workload programs: a call graph of named functions, each with its own
 * (self) cost and event rates, walked by the task that runs it. Built-in
 * programs live in workload/catalog.ts; scenarios may define more under
 * `programs:` in the same shape (ProgramSpec is what the YAML holds).
 *
 * How a task runs a program (os/task.ts): starting at `entry`, it walks down
 * the graph choosing, at each function, either to run the function's own code
 * (weight `self`) or to call one of its callees (by `calls[].weight`). The
 * chosen path is the stack of the next burst, which lasts an exponentially
 * distributed time with mean `burst_us`. A function with `sleep_us` puts the
 * task to sleep after its burst (blocking I/O, epoll_wait, HLT for `idle`).
 */

/** Event rates while a function's own code runs. All per-instruction except ipc. */
export interface EventRates {
  /** Instructions per cycle. */
  ipc: number;
  /** Branch instructions per instruction. */
  branches: number;
  /** Fraction of branches that miss. */
  branch_miss: number;
  /** Last-level cache references per instruction. */
  cache_refs: number;
  /** Fraction of cache references that miss. */
  cache_miss: number;
}

export interface FunctionSpec {
  /**
   * Name shown in stacks when it differs from the function's key. The walk
   * picks each callee without memory of the path above, so a program that
   * reaches one symbol on paths that must continue differently (do_syscall_64
   * under read() and under write()) needs one key per path.
   */
  symbol?: string;
  /** Kernel functions run in kernel mode and belong to the kernel image. */
  mode: 'user' | 'kernel';
  /** Binary the function belongs to: `[kernel.kallsyms]`, `libc.so.6`, the program... */
  dso: string;
  /** Relative weight of running this function's own code when it is reached. */
  self: number;
  /** Mean length of one burst of own code, microseconds. */
  burst_us: number;
  /** After a burst, sleep this long on average (microseconds), 0 = stay runnable. */
  sleep_us: number;
  /** Page faults per millisecond of own code. */
  faults_per_ms: number;
  /** Reads of the task's own PMU counters per microsecond (rdpmc / mrs PMEVCNTR). */
  pmu_reads_per_us: number;
  rates: EventRates;
  calls: { fn: string; weight: number }[];
}

export interface ProgramSpec {
  /** Default process name. */
  comm: string;
  entry: string;
  functions: Record<string, FunctionSpec>;
}

/** Defaults applied to any field a FunctionSpec leaves out (scenario files may omit them). */
export const DEFAULT_RATES: EventRates = {
  ipc: 1.5,
  branches: 0.18,
  branch_miss: 0.02,
  cache_refs: 0.01,
  cache_miss: 0.1,
};
