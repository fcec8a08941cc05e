/**
 * The guest kernel's perf: the same perf core as the host's, instantiated
 * over the guest's CPUs (its vCPUs), the PMU its vPMU design gives it and
 * its own software PMU. From inside, the guest's code is simply kernel or
 * user code; its clock is the machine's.
 */
import { ExecContext } from '../../profile/model';
import type { Kernel } from '../os/kernel';
import { perf_callchain } from '../os/kernel';
import type { ExecTag } from '../os/burst-source';
import { PERF_RECORD_MISC_KERNEL, PERF_RECORD_MISC_USER } from '../perf/attr';
import { PerfCore } from '../perf/core';
import type { PerfEvent } from '../perf/event';
import type { Pmu } from '../perf/pmu';
import { SwPmu } from '../perf/sw-pmu';
import { defaultSysctl } from '../perf/sysctl';
import type { Vm } from './vm';

export class GuestPerf {
  perf!: PerfCore;
  swPmu!: SwPmu;
  /** The vPMU's PMU as the guest's perf core sees it, null without one. */
  hwPmu: Pmu | null = null;

  constructor(
    private readonly vm: Vm,
    private readonly host: Kernel,
  ) {}

  /** Boot the guest's perf once its vCPUs exist. */
  start(): void {
    const vm = this.vm;
    const host = this.host;
    const nr = vm.vcpus.length;
    this.swPmu = new SwPmu(
      {
        queue: host.queue,
        now: () => host.now(),
        cpuState: (cpu) => {
          const v = vm.vcpus[cpu];
          return { ctx: v.guestTag?.ctx ?? ExecContext.GuestKernel, idle: !v.running };
        },
        overflow: (event, cpu, now) => this.perf.overflow(event, cpu, now),
      },
      nr,
    );
    this.hwPmu = vm.vpmu.createGuestPmu(vm);
    this.perf = new PerfCore(
      {
        queue: host.queue,
        nrCpus: nr,
        now: () => host.now(),
        syncCpu: (cpu, now) => {
          const p = vm.vcpus[cpu].pcpu;
          if (p >= 0) host.syncCpu(p, now);
        },
        taskExists: (pid) => vm.guestComm(pid) !== undefined,
        // Guest tasks are pinned to their vCPU and have no per-task contexts here.
        taskCpu: () => -1,
        sampleRegs: (cpu, event, tag) => guestRegs(vm.vcpus[cpu].guestTag, event, tag),
      },
      this.hwPmu ? [this.hwPmu, this.swPmu] : [this.swPmu],
      defaultSysctl(),
    );
  }

  /** The guest's timer tick on one vCPU. */
  tick(vcpu: number, now: number): void {
    this.perf.tick(vcpu, now);
  }
}

/** What the guest's perf sees: its own kernel and user code, and its whole stack. */
function guestRegs(current: ExecTag | null, event: PerfEvent, tag: unknown) {
  const t = (tag as ExecTag | null) ?? current;
  if (!t) return { pid: 0, tid: 0, cpumode: PERF_RECORD_MISC_KERNEL, exact: false, ip: -1, callchain: null };
  return {
    pid: t.pid,
    tid: t.tid,
    cpumode: t.ctx === ExecContext.GuestUser ? PERF_RECORD_MISC_USER : PERF_RECORD_MISC_KERNEL,
    exact: tag !== null,
    ip: t.stack[t.stack.length - 1] ?? -1,
    callchain: perf_callchain(t, event),
  };
}
