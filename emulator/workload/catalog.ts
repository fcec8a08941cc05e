/**
 * The built-in programs every scenario may name (shared reference
 * scenario-format.md, "Built-in programs"). Each is written in its own file
 * under programs/ from the kernel paths they share (programs/kernel.ts).
 *
 * What the weights work out to (user / kernel share of the time running;
 * catalog.test.ts checks the bounds that matter):
 *   spin       ~100% user (kernel < 0.01%), IPC ~3.1, never sleeps
 *   compile    ~91% / 9% (page faults, header reads, exit), never sleeps
 *   webserver  ~39% / 61%, asleep in epoll_wait ~57% of the time
 *   database   ~87% / 13%, IPC ~0.5, asleep ~59% (clients, lock waits)
 *   idle       asleep >99.9% of the time; its few µs awake ~27% / 73%
 *   pmu-poll   ~100% user, ~20 counter reads per µs
 */
import type { BuiltinProgramName } from './names';
import type { ProgramSpec } from './program';
import { compile } from './programs/compile';
import { database } from './programs/database';
import { idle } from './programs/idle';
import { pmuPoll } from './programs/pmu-poll';
import { spin } from './programs/spin';
import { webserver } from './programs/webserver';

export const BUILTIN_PROGRAMS: Record<BuiltinProgramName, ProgramSpec> = {
  spin,
  compile,
  webserver,
  database,
  idle,
  'pmu-poll': pmuPoll,
};
