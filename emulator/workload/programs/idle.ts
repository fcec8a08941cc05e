/**
 * idle: a housekeeping daemon that wakes every 10 ms, looks around for a few
 * microseconds and goes back to sleep in clock_nanosleep. Its CPU is almost
 * always halted (HLT / WFI exits for a vCPU; what exclude_idle leaves out).
 */
import type { ProgramSpec } from '../program';
import { LIBC, VDSO, kernelChain, program, startup, through, userFn } from './build';
import { block, blockKey, syscall } from './kernel';

const BIN = 'idle';

export const idle: ProgramSpec = program(
  'idle',
  '_start',
  startup(BIN),
  {
    main: through(BIN, 'poll_loop'),
    poll_loop: userFn(BIN, { self: 0.05, burst_us: 1, calls: { nanosleep: 0.8, check_status: 0.15 } }),
    check_status: userFn(BIN, { self: 1, burst_us: 3, calls: { __vdso_clock_gettime: 0.3 } }),
    __vdso_clock_gettime: userFn(VDSO, { self: 1, burst_us: 0.1 }),
    nanosleep: through(LIBC, '__clock_nanosleep'),
  },
  syscall('clock_nanosleep', '__clock_nanosleep', { calls: { common_nsleep: 1 } }),
  kernelChain(['common_nsleep', 'hrtimer_nanosleep', 'do_nanosleep'], blockKey('nanosleep')),
  block('nanosleep', 10_000),
);
