/**
 * A validated scenario (shared reference scenario-format.md, format 1). The
 * parser (scenario/parse.ts) is the only producer; every default is applied
 * there, so consumers never see a missing field. Times are nanoseconds.
 */
import type { ProgramSpec } from '../workload/program';

export const VPMU_DESIGNS = ['none', 'emulated', 'mediated', 'partitioned', 'paravirt'] as const;
export type VpmuDesign = (typeof VPMU_DESIGNS)[number];

export type Arch = 'x86_64' | 'arm64';
export const IRQCHIPS = ['kernel', 'userspace'] as const;
export type Irqchip = (typeof IRQCHIPS)[number];
export type Vendor = 'intel' | 'amd' | 'arm';

export interface WorkloadSpec {
  /** A built-in program name or a key of Scenario.programs. */
  program: string;
  threads: number;
  /** Affinity; null means every CPU (of the host, or every vCPU of the VM). */
  cpus: number[] | null;
  /** Process name; defaults to the program's own comm. */
  comm: string | null;
}

/** KVM_SET_PMU_EVENT_FILTER as a scenario writes it (project addition, x86 only). */
export interface PmuEventFilterSpec {
  action: 'allow' | 'deny';
  /** Event selectors (event | umask << 8); masked entries need 64 bits and are not offered here. */
  events: number[];
  fixed_counter_bitmap: number;
}

/**
 * The KVM_ARM_VCPU_PMU_V3_CTRL attributes the VMM sets on an arm64 VM's vCPUs
 * before their first KVM_RUN (project addition, arm64 only). The kernel's
 * rules are checked when the VM is created.
 */
export interface VcpuPmuSpec {
  /** SET_PMU: a host PMU's perf type; null keeps the default PMU. */
  set_pmu: number | null;
  /** FILTER ranges, in order (event numbers base_event..base_event+nevents-1). */
  filter: { action: 'allow' | 'deny'; base_event: number; nevents: number }[];
  /** SET_NR_COUNTERS; null keeps the PMU's maximum. */
  nr_counters: number | null;
  /**
   * IRQ of each vCPU, by index: a PPI (the same on all) or SPIs (one each).
   * Empty: the VMM sets none, as QEMU does without an in-kernel irqchip.
   */
  irq: number[];
  /** INIT; without it the first KVM_RUN fails. */
  init: boolean;
}

/** How the guest's SPE driver and the host treat its buffer (project addition, arm64, with spe: true). */
export interface VmSpeSpec {
  /** The guest driver's AUX buffer per vCPU, KiB. */
  buffer_kb: number;
  /** Sampling interval, operations (PMSIRR_EL1.INTERVAL). */
  interval: number;
  /** KVM pins the buffer at stage 2 when the guest enables it (v6); false leaves it to stage-2 faults. */
  pinned: boolean;
  /** The host profiles the guest with SPE itself, so the guest sees PMBIDR_EL1.P = 1. */
  host_profiling: boolean;
}

export interface VmSpec {
  name: string;
  vcpus: number;
  vpmu: VpmuDesign;
  /** Host CPUs the vCPU threads may run on; null means every CPU. */
  cpus: number[] | null;
  spe: boolean;
  /**
   * Where the interrupt controller is emulated (project addition): `kernel`
   * (KVM_CREATE_IRQCHIP, the in-kernel LAPIC or vGIC, what QEMU does by
   * default) or `userspace` (the VMM emulates it). x86 KVM delivers virtual
   * PMIs through the in-kernel LAPIC's LVTPC only, and gives a mediated VM
   * without one no PMU at all (checklist 49).
   */
  irqchip: Irqchip;
  workloads: WorkloadSpec[];
  /** The VMM installs this filter before the vCPUs run; null for none. */
  pmu_event_filter: PmuEventFilterSpec | null;
  /** arm64: the vCPU PMU attributes as written; absent, the VMM's defaults (PPI 23, the default PMU, INIT). */
  pmu?: VcpuPmuSpec;
  /** With spe: the guest SPE driver's buffer and the host's part; absent, the defaults (guest-spe.ts). */
  spe_config?: VmSpeSpec;
}

export interface PerfSessionSpec {
  /** 'host' or a VM's name. */
  on: string;
  /** The perf command line without the leading `perf`, e.g. `stat -a -e cycles`. */
  run: string;
  at: number;
}

export interface TimelineAction {
  at: number;
  /** The verb of `do:` (`migrate vm0` → 'migrate'). */
  action: 'migrate' | 'stop' | 'pause' | 'resume';
  vm: string;
}

export interface Scenario {
  format: 1;
  name: string;
  seed: number;
  duration: number;
  machine: {
    arch: Arch;
    /** 'arm' for arm64 machines. */
    vendor: Vendor;
    cpus: number;
    pmu: { counters: number | null; fixed: number | null; spe: number[] };
    nmi_watchdog: boolean;
  };
  kvm: {
    vpmu: VpmuDesign;
    host_counters: number | null;
    /**
     * kvm-intel/kvm-amd's enable_mediated_pmu, as the module was loaded
     * (project addition, x86_64): without it there is no mediated vPMU.
     */
    enable_mediated_pmu: boolean;
  };
  host: { workloads: WorkloadSpec[] };
  vms: VmSpec[];
  perf: PerfSessionSpec[];
  timeline: TimelineAction[];
  programs: Record<string, ProgramSpec>;
}
