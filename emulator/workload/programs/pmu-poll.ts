/**
 * pmu-poll: reads its own PMU counters in a tight loop from user mode (rdpmc
 * on x86, mrs PMEVCNTR<n>_EL0 on arm64), as self-monitoring tools do. Cheap
 * on bare metal; under a vPMU that traps counter reads every read is an exit,
 * which is what this program is there to show. Now and then it reads the
 * counts the slow way, with read() on the event's fd, and logs a line.
 */
import type { ProgramSpec } from '../program';
import { COMPUTE_RATES, LIBC, VDSO, kernelChain, kernelFn, kernelThrough, program, startup, through, userFn } from './build';
import { pipeWrite, syscall } from './kernel';

const BIN = 'pmu-poll';

export const pmuPoll: ProgramSpec = program(
  'pmu-poll',
  '_start',
  startup(BIN),
  {
    main: through(BIN, 'poll_counters'),
    poll_counters: userFn(BIN, {
      self: 0.05, burst_us: 2, rates: COMPUTE_RATES,
      calls: { read_pmc: 0.85, record_delta: 0.08, read_counts_fd: 0.01, report: 0.005 },
    }),
    // One read every ~50 ns: the seqlock loop around rdpmc of perf_event_mmap_page.
    read_pmc: userFn(BIN, { self: 1, burst_us: 20, pmu_reads_per_us: 20, rates: { ipc: 1.2, branches: 0.15, branch_miss: 0.005, cache_refs: 0.002, cache_miss: 0.05 } }),
    record_delta: userFn(BIN, { self: 1, burst_us: 3, rates: COMPUTE_RATES }),
    read_counts_fd: through(BIN, '__libc_read'),
    report: userFn(BIN, { self: 0.3, burst_us: 2, calls: { __vdso_clock_gettime: 0.4, fprintf: 0.3 } }),
    __vdso_clock_gettime: userFn(VDSO, { self: 1, burst_us: 0.1 }),
    fprintf: through(LIBC, '__libc_write'),
  },
  syscall('read', '__libc_read', { calls: { ksys_read: 1 } }),
  {
    ...kernelChain(['ksys_read', 'vfs_read', 'perf_read', '__perf_read_value'], 'perf_read_one'),
    perf_read_one: kernelFn({ self: 0.3, burst_us: 0.5, calls: { __perf_event_read_value: 1 } }),
    __perf_event_read_value: kernelFn({ self: 0.2, burst_us: 0.3, calls: { perf_event_read: 1 } }),
    perf_event_read: kernelFn({ self: 0.2, burst_us: 0.4, calls: { smp_call_function_single: 0.3, __perf_event_read: 0.7 } }),
    smp_call_function_single: kernelFn({ self: 0.3, burst_us: 1, calls: { generic_exec_single: 1 } }),
    generic_exec_single: kernelThrough('__perf_event_read'),
    __perf_event_read: kernelFn({ self: 0.3, burst_us: 0.3, calls: { x86_pmu_read: 1 } }),
    x86_pmu_read: kernelThrough('x86_perf_event_update'),
    x86_perf_event_update: kernelFn({ self: 1, burst_us: 0.2, pmu_reads_per_us: 5 }),
  },
  syscall('write', '__libc_write', { calls: { ksys_write: 1 } }),
  pipeWrite(),
);
