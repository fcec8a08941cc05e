/**
 * The legacy x86 vPMU, trap-and-emulate (arch/x86/kvm/pmu.c): every guest
 * counter access traps (an MSR or RDPMC exit), and each enabled guest
 * counter is backed by a host perf event KVM creates in the vCPU thread's
 * context — PERF_TYPE_RAW, pinned, exclude_idle, exclude_host, USR/OS from
 * the selector, sample_period = -counter. Its overflow sets the guest's
 * GLOBAL_STATUS bit and queues a virtual PMI for the next VM-entry.
 *
 * What this costs and loses is the point of the design debate: every access
 * is a VM-exit; the backing events compete with the host's own (a pinned
 * host group that takes every counter leaves them in ERROR and the guest
 * counter silently stops); KVM's work for the guest is not counted; and the
 * PMI reaches the guest late, at the next entry.
 */
import type { CpuPmuArch } from '../../perf/cpu-pmu';
import { cpuPmuArchFor } from '../../perf/cpu-pmu-arch';
import type { PerfCore } from '../../perf/core';
import type { PerfEvent } from '../../perf/event';
import { PerfEventState } from '../../perf/event';
import { is_sampling_event } from '../../perf/overflow';
import { PERF_EF_UPDATE } from '../../perf/pmu';
import { makeAttr, PERF_TYPE_RAW } from '../../perf/attr';
import type { Kernel } from '../../os/kernel';
import { ArmEmulatedGuestPmu } from '../arm64/emulated-pmu';
import type { ExitReason } from '../exits';
import type { Vm } from '../vm';
import type { VpmuOps } from './design';
import { GuestCorePmu, guestModel, guestSetPeriod } from './guest-pmu';

/** KVM caps the emulated vPMU's architectural perfmon version at 2. */
const KVM_PMU_VERSION = 2;

interface Backing {
  host: PerfEvent;
  /** Host count already folded into the guest event. */
  folded: number;
}

/**
 * What each guest access to a counter costs: the exits it takes. Trap-and-
 * emulate traps MSR and RDPMC accesses; the paravirtual interface makes
 * hypercalls instead and reads a shared page.
 */
export interface AccessTraps {
  /** Program and enable a counter. */
  program: [ExitReason, number];
  disable: [ExitReason, number];
  /** Read a counter; null when it needs no exit. */
  read: [ExitReason, number] | null;
  /** Re-arm after an overflow; null when the host does it on its own. */
  rearm: [ExitReason, number] | null;
}

const TRAP_AND_EMULATE: AccessTraps = {
  // The selector and the counter: two MSR writes.
  program: ['MSR_WRITE', 2],
  disable: ['MSR_WRITE', 1],
  read: ['RDPMC', 1],
  rearm: ['MSR_WRITE', 1],
};

/** A guest PMU whose counters are host perf events KVM creates for them. */
export class BackedGuestPmu extends GuestCorePmu {
  private readonly backing = new Map<PerfEvent, Backing>();

  constructor(
    vm: Vm,
    arch: CpuPmuArch,
    private readonly hostPerf: PerfCore,
    private readonly kernel: Kernel,
    private readonly traps: AccessTraps = TRAP_AND_EMULATE,
  ) {
    super(vm, arch, guestModel(kernel.cpus[0].model, KVM_PMU_VERSION));
  }

  /** The host-side events are gone (a migration the design cannot carry): counters stop. */
  dropBacking(): void {
    // What the host last wrote to the shared page stays; nothing is added after.
    for (const event of this.backing.keys()) this.fold(event);
    for (const b of this.backing.values()) this.hostPerf.perf_event_release_kernel(b.host);
    this.backing.clear();
  }

  /** The guest writes the selector and the counter: two MSR exits, then KVM reprograms. */
  start(event: PerfEvent): void {
    if (!event.hw.stopped) return;
    event.hw.stopped = false;
    const vcpu = this.vm.vcpus[event.ctx.activeCpu];
    vcpu.exit(this.traps.program[0], this.traps.program[1], true);
    const sampling = is_sampling_event(event);
    const left = sampling ? guestSetPeriod(event.hw) : 0;
    // A filtered-out counter gets no backing event: it keeps its value and never counts.
    if (!this.filterAllows(event)) return;
    const existing = this.backing.get(event);
    if (existing) {
      // Same selector: KVM only updates the period and re-enables (pmc_resume_counter).
      if (sampling) this.hostPerf.setPeriod(existing.host, Math.max(1, left));
      this.hostPerf.perf_event_enable(existing.host, this.kernel.now());
      return;
    }
    const a = event.attr;
    const attr = makeAttr({
      type: PERF_TYPE_RAW,
      config: event.context as bigint,
      pinned: true,
      // x86's pmc_reprogram_counter asks for exclude_idle; arm64's
      // kvm_pmu_create_perf_event does not (its PMU cannot filter idle).
      exclude_idle: this.model.arch === 'x86_64',
      exclude_host: true,
      exclude_user: a.exclude_user,
      exclude_kernel: a.exclude_kernel,
      sample_period: BigInt(sampling ? Math.max(1, left) : 2 ** 47 - 1),
    });
    const host = this.hostPerf.perf_event_create_kernel_counter(attr, -1, vcpu.tid, () => this.kvm_perf_overflow(event));
    if (typeof host === 'number') return; // the counter simply never counts
    this.backing.set(event, { host, folded: 0 });
  }

  stop(event: PerfEvent, flags: number): void {
    if (event.hw.stopped) return;
    this.vm.vcpus[event.ctx.activeCpu].exit(this.traps.disable[0], this.traps.disable[1], true);
    const b = this.backing.get(event);
    if (b) this.hostPerf.perf_event_disable(b.host, this.kernel.now());
    event.hw.stopped = true;
    if (flags & PERF_EF_UPDATE) this.read(event);
  }

  /** The value is the backing event's count since it was created (RDPMC traps under trap-and-emulate). */
  read(event: PerfEvent): void {
    const read = this.traps.read;
    if (read) this.vm.vcpus[event.ctx.activeCpu].exit(read[0], read[1], true);
    this.fold(event);
  }

  private fold(event: PerfEvent): void {
    const b = this.backing.get(event);
    if (!b) return;
    const value = this.hostPerf.readEvent(b.host).value;
    const delta = value - b.folded;
    b.folded = value;
    event.count += delta;
    event.hw.period_left -= delta;
  }

  /** Whether a backing event is stuck (ERROR: the host could not schedule it). */
  inError(event: PerfEvent): boolean {
    return this.backing.get(event)?.host.state === PerfEventState.ERROR;
  }

  /**
   * kvm_perf_overflow: GLOBAL_STATUS bit set, a PMI requested for the next
   * entry. The guest's handler runs there, on whatever the guest runs then.
   */
  private kvm_perf_overflow(event: PerfEvent): void {
    const vcpu = this.vm.vcpus[event.ctx.activeCpu];
    vcpu.pmiPending = true;
    vcpu.pmiWork.push(() => {
      this.fold(event);
      guestSetPeriod(event.hw);
      const now = this.kernel.now();
      const stop = this.vm.guest.perf.overflow(event, vcpu.index, now);
      // The guest's handler writes the counter for the next period.
      const b = this.backing.get(event);
      if (stop) this.stop(event, 0);
      else if (b) {
        const rearm = this.traps.rearm;
        if (rearm) vcpu.exit(rearm[0], rearm[1], true);
        this.hostPerf.setPeriod(b.host, Math.max(1, event.hw.period_left));
      }
    });
    this.kernel.kick(vcpu.tid);
  }
}

export function emulatedVpmu(hostPerf: PerfCore, kernel: Kernel): VpmuOps {
  return {
    design: 'emulated',
    // arm64: the guest's register accesses drive pmu-emul (kvm/arm64/emulated-pmu.ts).
    createGuestPmu: (vm) =>
      vm.armPmu
        ? new ArmEmulatedGuestPmu(vm, vm.armPmu, hostPerf, kernel)
        : new BackedGuestPmu(vm, cpuPmuArchFor(kernel.cpus[0].model), hostPerf, kernel),
    load: () => undefined,
    put: () => undefined,
    trapsCounterReads: true,
    switchCostNs: 0,
  };
}
