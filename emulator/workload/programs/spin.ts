/**
 * spin: a user-mode compute loop with high IPC and almost no syscalls, the
 * simplest truth to check counts against. Now and then it reads the clock
 * (through the vDSO, no syscall) and writes a progress line to a pipe.
 */
import type { ProgramSpec } from '../program';
import { COMPUTE_RATES, VDSO, program, startup, userFn } from './build';
import { pipeWrite, syscall } from './kernel';

const BIN = 'spin';

export const spin: ProgramSpec = program(
  'spin',
  '_start',
  startup(BIN),
  {
    main: userFn(BIN, { calls: { compute: 995, report_progress: 5 } }),
    compute: userFn(BIN, { self: 0.05, burst_us: 20, rates: COMPUTE_RATES, calls: { mix_block: 0.5, hash_round: 0.45 } }),
    mix_block: userFn(BIN, { self: 1, burst_us: 40, rates: { ...COMPUTE_RATES, ipc: 3.3 } }),
    hash_round: userFn(BIN, { self: 1, burst_us: 30, rates: { ...COMPUTE_RATES, ipc: 2.9, branches: 0.08 } }),
    report_progress: userFn(BIN, { self: 0.3, burst_us: 2, calls: { __vdso_clock_gettime: 0.4, __libc_write: 0.3 } }),
    __vdso_clock_gettime: userFn(VDSO, { self: 1, burst_us: 0.1 }),
  },
  syscall('write', '__libc_write', { calls: { ksys_write: 1 } }),
  pipeWrite(),
);
