/**
 * The built-in programs and the walker that runs them: every program
 * compiles and makes well-formed stacks, each behaves as the scenario format
 * promises (spin user-bound, idle asleep, database missing the cache...),
 * and walks are deterministic, capped and checked.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../emulator/sim/random';
import { BUILTIN_PROGRAMS } from '../../../emulator/workload/catalog';
import { BUILTIN_PROGRAM_NAMES } from '../../../emulator/workload/names';
import type { FunctionSpec, ProgramSpec } from '../../../emulator/workload/program';
import { DEFAULT_RATES } from '../../../emulator/workload/program';
import type { CompiledProgram } from '../../../emulator/workload/walker';
import { MAX_STACK_DEPTH, MODE_KERNEL, MODE_USER, compileProgram, newBurst, nextBurst } from '../../../emulator/workload/walker';

const compiled = Object.fromEntries(BUILTIN_PROGRAM_NAMES.map((n) => [n, compileProgram(BUILTIN_PROGRAMS[n])]));

interface Totals {
  run: number;
  kernel: number;
  sleep: number;
  /** Run-time-weighted cycles × ipc, cache misses and PMU reads. */
  instructions: number;
  misses: number;
  pmuReads: number;
}

/** Expected behaviour of a program, by running `n` bursts from a seeded Rng. */
function simulate(p: CompiledProgram, n: number, seed = 7): Totals {
  const rng = new Rng(seed);
  const b = newBurst();
  const t: Totals = { run: 0, kernel: 0, sleep: 0, instructions: 0, misses: 0, pmuReads: 0 };
  for (let i = 0; i < n; i++) {
    nextBurst(p, rng, b);
    const fn = p.functions[b.leaf];
    t.run += b.durationNs;
    if (p.modes[b.leaf] === MODE_KERNEL) t.kernel += b.durationNs;
    t.sleep += b.sleepNs;
    t.instructions += b.durationNs * fn.rates.ipc;
    t.misses += b.durationNs * fn.rates.ipc * fn.rates.cache_refs * fn.rates.cache_miss;
    t.pmuReads += (b.durationNs / 1000) * fn.pmu_reads_per_us;
  }
  return t;
}

/** Functions reachable from the entry, through the walk tables. */
function reachable(p: CompiledProgram): Set<number> {
  const seen = new Set([p.entry]);
  const todo = [p.entry];
  while (todo.length) {
    const f = todo.pop() as number;
    for (let i = p.choiceStart[f]; i < p.choiceStart[f + 1]; i++) {
      const to = p.choiceFn[i];
      if (to >= 0 && !seen.has(to)) {
        seen.add(to);
        todo.push(to);
      }
    }
  }
  return seen;
}

const calls = (p: CompiledProgram, from: number, to: number): boolean =>
  p.choiceFn.subarray(p.choiceStart[from], p.choiceStart[from + 1]).includes(to);
const runsOwnCode = (p: CompiledProgram, f: number): boolean => calls(p, f, -1);

function fn(o: Partial<FunctionSpec>): FunctionSpec {
  return { mode: 'user', dso: 'a.out', self: 0, burst_us: 0, sleep_us: 0, faults_per_ms: 0, pmu_reads_per_us: 0, rates: DEFAULT_RATES, calls: [], ...o };
}

describe('built-in programs', () => {
  it('are exactly the ones the scenario format names', () => {
    expect(Object.keys(BUILTIN_PROGRAMS).sort()).toEqual([...BUILTIN_PROGRAM_NAMES].sort());
  });

  it.each(BUILTIN_PROGRAM_NAMES)('%s: every function is reachable, in user and kernel mode, with the right dso', (name) => {
    const p = compiled[name];
    expect(reachable(p).size).toBe(p.functions.length);
    expect(p.modes.includes(MODE_USER) && p.modes.includes(MODE_KERNEL)).toBe(true);
    p.functions.forEach((f, i) => {
      expect(f.mode === 'kernel').toBe(p.modes[i] === MODE_KERNEL);
      expect(f.dso === '[kernel.kallsyms]', `${f.name} in ${f.dso}`).toBe(f.mode === 'kernel');
    });
  });

  it.each(BUILTIN_PROGRAM_NAMES)('%s: stacks run from the entry down call edges, never back from kernel to user', (name) => {
    const p = compiled[name];
    const rng = new Rng(3);
    const b = newBurst();
    let deepest = 0;
    for (let i = 0; i < 5000; i++) {
      nextBurst(p, rng, b);
      expect(b.stack[0]).toBe(p.entry);
      expect(b.leaf).toBe(b.stack[b.depth - 1]);
      expect(b.depth).toBeLessThan(MAX_STACK_DEPTH);
      expect(runsOwnCode(p, b.leaf)).toBe(true);
      for (let d = 1; d < b.depth; d++) {
        expect(calls(p, b.stack[d - 1], b.stack[d])).toBe(true);
        if (p.modes[b.stack[d - 1]] === MODE_KERNEL) expect(p.modes[b.stack[d]]).toBe(MODE_KERNEL);
      }
      expect(b.durationNs).toBeGreaterThan(0);
      deepest = Math.max(deepest, b.depth);
    }
    // Realistic stacks: _start → __libc_start_main → __libc_start_call_main → main → ... at least.
    expect(deepest).toBeGreaterThanOrEqual(6);
    expect(p.functions[p.entry].name).toBe('_start');
  });

  it('spin spends more than 95% of its time in user mode at high IPC, and never sleeps', () => {
    const t = simulate(compiled.spin, 20_000);
    expect(t.kernel / t.run).toBeLessThan(0.05);
    expect(t.instructions / t.run).toBeGreaterThan(2.5);
    expect(t.sleep).toBe(0);
  });

  it('compile and webserver spend real time in the kernel; webserver mostly', () => {
    const c = simulate(compiled.compile, 50_000);
    expect(c.kernel / c.run).toBeGreaterThan(0.04);
    expect(c.kernel / c.run).toBeLessThan(0.3);
    const w = simulate(compiled.webserver, 50_000);
    expect(w.kernel / w.run).toBeGreaterThan(0.5);
    // It waits in epoll_wait between requests.
    expect(w.sleep / (w.sleep + w.run)).toBeGreaterThan(0.2);
  });

  it('compile faults pages in: its page faults are kernel frames under asm_exc_page_fault', () => {
    const p = compiled.compile;
    const faulting = p.functions.map((f, i) => i).filter((i) => p.functions[i].faults_per_ms > 0);
    expect(faulting.length).toBeGreaterThan(0);
    for (const i of faulting) expect(p.modes[i]).toBe(MODE_KERNEL);
    const names = new Set(p.functions.map((f) => f.name));
    for (const n of ['asm_exc_page_fault', 'handle_mm_fault', 'entry_SYSCALL_64_after_hwframe', '__x64_sys_read', 'filemap_read']) {
      expect(names.has(n), n).toBe(true);
    }
  });

  it('database misses the cache far more often than spin, at low IPC', () => {
    const db = simulate(compiled.database, 50_000);
    const spin = simulate(compiled.spin, 20_000);
    // Misses per cycle, weighted by run time.
    expect(db.misses / db.run).toBeGreaterThan(10 * (spin.misses / spin.run));
    expect(db.instructions / db.run).toBeLessThan(0.7);
  });

  it('idle sleeps more than 90% of the time', () => {
    const t = simulate(compiled.idle, 10_000);
    expect(t.sleep / (t.sleep + t.run)).toBeGreaterThan(0.9);
  });

  it('pmu-poll reads its counters many times per microsecond, from user mode', () => {
    const p = compiled['pmu-poll'];
    const t = simulate(p, 20_000);
    expect(t.pmuReads / (t.run / 1000)).toBeGreaterThan(10);
    const readers = p.functions.filter((f) => f.pmu_reads_per_us >= 10);
    expect(readers.map((f) => f.mode)).toEqual(['user']);
  });
});

describe('walker', () => {
  it('is deterministic: the same seed gives the same bursts, another seed others', () => {
    const run = (seed: number): number[] => {
      const rng = new Rng(seed);
      const b = newBurst();
      const out: number[] = [];
      for (let i = 0; i < 2000; i++) {
        nextBurst(compiled.webserver, rng, b);
        out.push(b.depth, ...b.stack.subarray(0, b.depth), b.durationNs, b.sleepNs);
      }
      return out;
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });

  it('chooses own code and callees in proportion to their weights', () => {
    const spec: ProgramSpec = {
      comm: 't',
      entry: 'a',
      functions: {
        a: fn({ self: 1, burst_us: 1, calls: [{ fn: 'b', weight: 1 }, { fn: 'c', weight: 2 }] }),
        b: fn({ self: 1, burst_us: 1 }),
        c: fn({ self: 1, burst_us: 1 }),
      },
    };
    const p = compileProgram(spec);
    const rng = new Rng(5);
    const b = newBurst();
    const n = 40_000;
    const count = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      nextBurst(p, rng, b);
      count[b.leaf]++;
    }
    expect(count[0] / n).toBeCloseTo(0.25, 1);
    expect(count[1] / n).toBeCloseTo(0.25, 1);
    expect(count[2] / n).toBeCloseTo(0.5, 1);
  });

  it('draws burst and sleep lengths with the declared means', () => {
    const p = compileProgram({ comm: 't', entry: 'a', functions: { a: fn({ self: 1, burst_us: 20, sleep_us: 300 }) } });
    const rng = new Rng(9);
    const b = newBurst();
    const n = 40_000;
    let run = 0;
    let sleep = 0;
    for (let i = 0; i < n; i++) {
      nextBurst(p, rng, b);
      run += b.durationNs;
      sleep += b.sleepNs;
    }
    expect(run / n / 20_000).toBeCloseTo(1, 1);
    expect(sleep / n / 300_000).toBeCloseTo(1, 1);
  });

  it('caps recursion at MAX_STACK_DEPTH and runs the deepest function', () => {
    const p = compileProgram({
      comm: 'rec',
      entry: 'main',
      functions: {
        main: fn({ calls: [{ fn: 'f', weight: 1 }] }),
        // Never runs its own code: without the cap the walk would not end.
        f: fn({ calls: [{ fn: 'g', weight: 1 }] }),
        g: fn({ calls: [{ fn: 'f', weight: 1 }] }),
      },
    });
    const b = newBurst();
    nextBurst(p, new Rng(1), b);
    expect(b.depth).toBe(MAX_STACK_DEPTH);
    expect(b.leaf).toBe(b.stack[MAX_STACK_DEPTH - 1]);
    expect(b.durationNs).toBeGreaterThan(0);
  });

  it.each<[string, ProgramSpec, RegExp]>([
    ['a missing entry', { comm: 'x', entry: 'main', functions: { f: fn({ self: 1, burst_us: 1 }) } }, /program "x": entry "main" is not one of its functions/],
    ['an entry on the prototype', { comm: 'x', entry: 'constructor', functions: { f: fn({ self: 1, burst_us: 1 }) } }, /entry "constructor"/],
    ['an unknown callee', { comm: 'x', entry: 'main', functions: { main: fn({ calls: [{ fn: 'nope', weight: 1 }] }) } }, /function "main" calls "nope", which is not one of its functions/],
    ['a function that does nothing', { comm: 'x', entry: 'main', functions: { main: fn({}) } }, /function "main" has neither own code \(self > 0\) nor calls/],
    ['calls that all weigh 0', { comm: 'x', entry: 'main', functions: { main: fn({ calls: [{ fn: 'main', weight: 0 }] }) } }, /neither own code/],
    ['own code without a burst length', { comm: 'x', entry: 'main', functions: { main: fn({ self: 1 }) } }, /function "main": has own code \(self > 0\) but burst_us is 0/],
    ['a negative weight', { comm: 'x', entry: 'main', functions: { main: fn({ self: 1, burst_us: 1, calls: [{ fn: 'main', weight: -1 }] }) } }, /weight of its call to "main" must be a number >= 0/],
    ['a NaN sleep', { comm: 'x', entry: 'main', functions: { main: fn({ self: 1, burst_us: 1, sleep_us: NaN }) } }, /sleep_us must be a number >= 0, not NaN/],
    ['an unknown mode', { comm: 'x', entry: 'main', functions: { main: fn({ self: 1, burst_us: 1, mode: 'hyp' as 'user' }) } }, /mode must be user or kernel/],
  ])('refuses %s', (_what, spec, message) => {
    expect(() => compileProgram(spec)).toThrow(message);
  });
});

describe('arm64 kernel frames', () => {
  const arm = compileProgram(BUILTIN_PROGRAMS.compile, 'arm64');
  const names = (p: CompiledProgram, stack: Int32Array): string[] => Array.from(stack, (f) => p.functions[f].name);

  it('show arm64 entry paths instead of x86 ones', () => {
    const all = arm.functions.map((f) => f.name);
    for (const x86 of ['entry_SYSCALL_64_after_hwframe', 'do_syscall_64', 'asm_exc_page_fault', 'exc_page_fault', '__x64_sys_read', 'clear_page_erms']) {
      expect(all, x86).not.toContain(x86);
    }
    for (const a of ['el0t_64_sync', 'el0_svc', 'invoke_syscall', '__arm64_sys_read', 'el0_da', 'do_page_fault', 'clear_page']) {
      expect(all, a).toContain(a);
    }
  });

  it('put the extra frames on the stack in order, above the same kernel path', () => {
    const rng = new Rng(4);
    const b = newBurst();
    let syscalls = 0;
    let faults = 0;
    for (let i = 0; i < 20_000; i++) {
      nextBurst(arm, rng, b);
      const s = names(arm, b.stack.subarray(0, b.depth)).join(' > ');
      if (s.includes('__arm64_sys_read')) {
        expect(s).toContain('el0t_64_sync > el0t_64_sync_handler > el0_svc > do_el0_svc > invoke_syscall > __arm64_sys_read > ksys_read > vfs_read');
        syscalls++;
      }
      if (s.includes('el0_da')) {
        expect(s).toContain('el0t_64_sync > el0t_64_sync_handler > el0_da > do_mem_abort > do_translation_fault > do_page_fault');
        faults++;
      }
    }
    expect(syscalls).toBeGreaterThan(0);
    expect(faults).toBeGreaterThan(0);
  });

  it('keep the program behaving the same: the same user/kernel split', () => {
    const x = simulate(compiled.compile, 50_000);
    const a = simulate(arm, 50_000);
    expect(a.kernel / a.run).toBeCloseTo(x.kernel / x.run, 1);
  });
});
