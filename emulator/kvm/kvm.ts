/**
 * KVM on the host: creates each VM with the vPMU design it asks for, and
 * keeps the host-wide rules between the host's perf and the mediated vPMU
 * (perf's nr_include_guest_events / nr_mediated_pmu_vms, tip eff95e170275):
 * the first vCPU of a mediated VM fails EBUSY while any host event counts
 * in guests, and while a mediated VM exists a new such event fails
 * EOPNOTSUPP (so the perf tool falls back to exclude_guest and `:H`).
 */
import type { Kernel } from '../os/kernel';
import type { SymbolTable } from '../os/symbols';
import type { PerfCore } from '../perf/core';
import { describeErrno, Errno } from '../perf/errno';
import type { Scenario, VmSpec, VpmuDesign } from '../scenario/types';
import type { Rng } from '../sim/random';
import type { CompiledProgram } from '../workload/walker';
import { DEFAULT_VM_SPE, GuestSpe } from './arm64/guest-spe';
import { defaultVcpuPmu, setupVmPmu } from './arm64/vm-pmu';
import { Vm } from './vm';
import {
  KVM_PMU_EVENT_ALLOW,
  KVM_PMU_EVENT_DENY,
  type KvmX86PmuEventFilter,
  setPmuEventFilter,
} from './x86/event-filter';
import type { VpmuOps } from './vpmu/design';
import { emulatedVpmu } from './vpmu/emulated';
import { emulatedX86Vpmu } from './vpmu/emulated-x86';
import { mediatedVpmu } from './vpmu/mediated';
import { noVpmu } from './vpmu/none';
import { paravirtVpmu } from './vpmu/paravirt';
import { defaultHostCounters, partitionedVpmu } from './vpmu/partitioned';
import type { CpuPmu } from '../perf/cpu-pmu';

/** The emulated kernel refused to build the machine the scenario describes. */
/** What KVM refused: the ioctl and its errno, and what a VMM would tell its user about it. */
export class KvmError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }

  /** The message, and the hint in parentheses when there is one. */
  explained(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

export class Kvm {
  readonly vms: Vm[] = [];
  nr_mediated_pmu_vms = 0;
  private readonly designs: Partial<Record<VpmuDesign, VpmuOps>>;

  constructor(
    private readonly host: Kernel,
    private readonly hostPerf: PerfCore,
    private readonly symbols: SymbolTable,
    private readonly hostPmu: CpuPmu,
    /** The scenario's kvm: section: the module parameters, fixed at load (checklist 52). */
    private readonly params: Scenario['kvm'],
  ) {
    this.designs = { none: noVpmu, emulated: emulatedVpmu(hostPerf, host), paravirt: paravirtVpmu(hostPerf, host) };
    // Designs exist on one architecture each: the mediated vPMU is x86's, partitioning arm64's;
    // x86's trap-and-emulate is driven by the guest's MSR writes (vpmu/emulated-x86.ts).
    if (host.cpus[0].model.arch === 'x86_64') {
      this.designs.emulated = emulatedX86Vpmu(hostPerf, host);
      if (params.enable_mediated_pmu) this.designs.mediated = mediatedVpmu(hostPerf, host);
    }
    hostPerf.openChecks.push((event) =>
      this.nr_mediated_pmu_vms > 0 && !event.attr.exclude_guest && !event.pmu.capabilities.software ? -Errno.EOPNOTSUPP : 0,
    );
  }

  /** KVM_CREATE_VM + KVM_CREATE_VCPU for each vCPU, with the guest's workloads placed on them. */
  createVm(spec: VmSpec, program: (name: string) => CompiledProgram, rng: Rng): Vm {
    const model = this.host.cpus[0].model;
    if (spec.vpmu === 'partitioned' && !this.designs.partitioned && model.arch === 'arm64') {
      try {
        this.designs.partitioned = partitionedVpmu(this.host, this.hostPmu, this.params.host_counters ?? defaultHostCounters(model));
      } catch (e) {
        // An impossible split (HPMN 0 without FEAT_HPMN0) is refused like the module parameter.
        if (e instanceof RangeError) throw new KvmError(`${spec.name}: vpmu partitioned: ${e.message}`);
        throw e;
      }
    }
    const ops = this.designs[spec.vpmu];
    // Scenarios are checked for both when read; a Scenario built in code is held to the same rules.
    if (spec.vpmu === 'emulated' && this.params.enable_mediated_pmu)
      throw new KvmError(`${spec.name}: vpmu emulated: kvm-${model.vendor}.enable_mediated_pmu is Y, so KVM gives every VM with a PMU the mediated vPMU`);
    if (!ops && spec.vpmu === 'mediated' && model.arch === 'x86_64')
      throw new KvmError(`${spec.name}: vpmu mediated: kvm-${model.vendor}.enable_mediated_pmu is N (set kvm.enable_mediated_pmu: true)`);
    if (!ops)
      throw new KvmError(
        `${spec.name}: vpmu ${spec.vpmu}: not available on this ${model.arch} host (available: ${[...Object.keys(this.designs), ...(model.arch === 'arm64' ? ['partitioned'] : [])].join(', ')})`,
      );
    // Checklist 49: KVM creates the mediated PMU only beside an in-kernel LAPIC; without one the
    // VM's PMU is disabled, and it holds no mediated reference (lore:20250806195706.1650976-19).
    const noLapicPmu = spec.vpmu === 'mediated' && spec.irqchip === 'userspace';
    if (spec.vpmu === 'mediated' && !noLapicPmu) this.perf_create_mediated_pmu(spec.name);
    const vm = new Vm(spec, this.vms.length, noLapicPmu ? noVpmu : ops, this.host, this.symbols);
    if (spec.pmu_event_filter) vm.eventFilter = this.setPmuEventFilter(spec);
    if (model.arch === 'arm64' && spec.vpmu !== 'none') {
      const pmu = setupVmPmu(spec.name, spec.vcpus, spec.pmu ?? defaultVcpuPmu(spec.vcpus, spec.irqchip), model, spec.irqchip);
      if ('error' in pmu) throw new KvmError(pmu.error);
      vm.armPmu = pmu;
    }
    this.vms.push(vm);
    const affinity = spec.cpus ?? this.host.cpus.map((_, i) => i);
    vm.createVcpus(affinity, rng);
    if (spec.spe) this.enableSpe(vm);
    let serial = 0;
    for (const w of spec.workloads) {
      const p = program(w.program);
      for (let i = 0; i < w.threads; i++) vm.addGuestThread(p, w.comm ?? p.comm, w.cpus, serial++, rng.fork());
    }
    vm.start();
    return vm;
  }

  /**
   * kvm_arch_destroy_vm: a mediated VM's reference goes (perf_release_mediated_pmu);
   * with the last one, host events may count in guests again.
   */
  destroyVm(vm: Vm): void {
    if (vm.destroyed) return;
    vm.destroyed = true;
    if (vm.vpmu.design === 'mediated') this.nr_mediated_pmu_vms--;
  }

  /** SPE for the guest: the VMM's vCPU attributes, then the guest driver starts profiling on each vCPU. */
  private enableSpe(vm: Vm): void {
    const spe = GuestSpe.create(vm.name, vm.vcpus.length, vm.spec.spe_config ?? DEFAULT_VM_SPE, vm.spec.irqchip === 'kernel');
    if ('error' in spe) throw new KvmError(spe.error);
    vm.spe = spe;
    for (const v of vm.vcpus) spe.enable(v);
  }

  /** KVM_SET_PMU_EVENT_FILTER from the VMM, with the kernel's errnos. */
  private setPmuEventFilter(spec: VmSpec): KvmX86PmuEventFilter {
    const f = spec.pmu_event_filter;
    if (!f) throw new Error('no filter');
    const events = f.events.map((e) => BigInt(e));
    const vendor = this.host.cpus[0].model.vendor === 'amd' ? 'amd' : 'intel';
    const action = f.action === 'allow' ? KVM_PMU_EVENT_ALLOW : KVM_PMU_EVENT_DENY;
    const r = setPmuEventFilter({ action, nevents: events.length, fixed_counter_bitmap: f.fixed_counter_bitmap, flags: 0, events }, vendor);
    if ('errno' in r) throw new KvmError(`${spec.name}: KVM_SET_PMU_EVENT_FILTER: ${describeErrno(r.errno)}`);
    return r.ok;
  }

  /** At the first KVM_CREATE_VCPU of a mediated VM: EBUSY while a host event counts in guests. */
  private perf_create_mediated_pmu(vm: string): void {
    const users = this.hostPerf.includeGuestEvents();
    if (users.length > 0 && this.nr_mediated_pmu_vms === 0)
      throw new KvmError(
        `${vm}: KVM_CREATE_VCPU: ${describeErrno(-Errno.EBUSY)}`,
        'a host perf event counts in guests, such as the NMI watchdog: set machine.nmi_watchdog: false for a mediated VM',
      );
    this.nr_mediated_pmu_vms++;
  }
}
