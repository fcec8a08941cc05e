/**
 * evlist__open as perf stat and perf record do it: every evsel on every
 * target CPU (or on the target task), group members with their leader's fd,
 * and on failure the fallbacks perf tries — a lower precise level for `P`,
 * then evsel__fallback (cycles → cpu-clock, EOPNOTSUPP → exclude guests) —
 * before giving the event up.
 */
import type { PerfCore } from '../perf/core';
import { describeErrno } from '../perf/errno';
import { type Evsel, evselFallback, evselIsGroupLeader, evselPreciseIpFallback } from './evsel';

export interface EvlistTarget {
  /** CPUs for CPU-wide events; [-1] with a pid for a per-task one. */
  cpus: readonly number[];
  pid: number;
}

export interface OpenedEvsel {
  evsel: Evsel;
  /** fd per target CPU (index as in target.cpus), -1 where it could not open. */
  fds: number[];
  supported: boolean;
  /** The last errno, when the evsel could not be opened. */
  error: number;
}

export interface OpenedEvlist {
  evsels: OpenedEvsel[];
  /** What perf prints on the way (fallback notices), in order. */
  messages: string[];
}

export function openEvlist(perf: PerfCore, evlist: readonly Evsel[], target: EvlistTarget): OpenedEvlist {
  const out: OpenedEvlist = { evsels: [], messages: [] };
  const cpuWide = target.pid === -1;
  for (const evsel of evlist) {
    const opened: OpenedEvsel = { evsel, fds: [], supported: true, error: 0 };
    const leader = evselIsGroupLeader(evsel) ? null : out.evsels[evsel.leader];
    for (let i = 0; i < target.cpus.length; i++) {
      const groupFd = leader ? leader.fds[i] : -1;
      if (leader && groupFd < 0) {
        opened.fds.push(-1);
        opened.supported = false;
        continue;
      }
      let fd = perf.perf_event_open(evsel.attr, target.pid, target.cpus[i], groupFd, 0);
      // Fallbacks are settled on the first CPU; the others open what worked there.
      while (fd < 0 && i === 0) {
        if (evselPreciseIpFallback(evsel)) {
          fd = perf.perf_event_open(evsel.attr, target.pid, target.cpus[i], groupFd, 0);
          continue;
        }
        const msg = evselFallback(evsel, fd, { cpuWide });
        if (!msg) break;
        out.messages.push(msg);
        fd = perf.perf_event_open(evsel.attr, target.pid, target.cpus[i], groupFd, 0);
      }
      if (fd < 0) {
        opened.supported = false;
        opened.error = fd;
      }
      opened.fds.push(fd);
    }
    if (!opened.supported) {
      for (const fd of opened.fds) if (fd >= 0) perf.close(fd);
      opened.fds = opened.fds.map(() => -1);
    }
    out.evsels.push(opened);
  }
  return out;
}

/** perf's one-line reason for an event that failed to open. */
export function openFailure(opened: OpenedEvsel): string {
  return `Error: The sys_perf_event_open() syscall returned with ${Math.abs(opened.error)} (${describeErrno(opened.error)}) for event (${opened.evsel.name}).`;
}
