/**
 * struct perf_event_attr (include/uapi/linux/perf_event.h), as an object whose
 * fields keep the kernel's names. u64 fields that user space can fill with any
 * 64-bit value (config*, sample_period, sample_type, read_format) are bigints
 * so that bit 63 survives; everything else is a number or a flag.
 */

export const PERF_TYPE_HARDWARE = 0;
export const PERF_TYPE_SOFTWARE = 1;
export const PERF_TYPE_TRACEPOINT = 2;
export const PERF_TYPE_HW_CACHE = 3;
export const PERF_TYPE_RAW = 4;
export const PERF_TYPE_BREAKPOINT = 5;

/** enum perf_hw_id */
export const PerfHwId = {
  CPU_CYCLES: 0,
  INSTRUCTIONS: 1,
  CACHE_REFERENCES: 2,
  CACHE_MISSES: 3,
  BRANCH_INSTRUCTIONS: 4,
  BRANCH_MISSES: 5,
  BUS_CYCLES: 6,
  STALLED_CYCLES_FRONTEND: 7,
  STALLED_CYCLES_BACKEND: 8,
  REF_CPU_CYCLES: 9,
} as const;
export const PERF_COUNT_HW_MAX = 10;

/** enum perf_sw_ids */
export const PerfSwId = {
  CPU_CLOCK: 0,
  TASK_CLOCK: 1,
  PAGE_FAULTS: 2,
  CONTEXT_SWITCHES: 3,
  CPU_MIGRATIONS: 4,
  PAGE_FAULTS_MIN: 5,
  PAGE_FAULTS_MAJ: 6,
  ALIGNMENT_FAULTS: 7,
  EMULATION_FAULTS: 8,
  DUMMY: 9,
  BPF_OUTPUT: 10,
  CGROUP_SWITCHES: 11,
} as const;
export const PERF_COUNT_SW_MAX = 12;

/** PERF_ATTR_SIZE_VER0..VER8: the sizes user space may pass. */
export const PERF_ATTR_SIZE_VER0 = 64;
export const PERF_ATTR_SIZE_VER8 = 136;
/** The size of this kernel's struct (it knows config3, not config4). */
export const PERF_ATTR_SIZE_KERNEL = PERF_ATTR_SIZE_VER8;
export const PAGE_SIZE = 4096;

/** enum perf_event_sample_format */
export const PERF_SAMPLE_IP = 1n << 0n;
export const PERF_SAMPLE_TID = 1n << 1n;
export const PERF_SAMPLE_TIME = 1n << 2n;
export const PERF_SAMPLE_ADDR = 1n << 3n;
export const PERF_SAMPLE_READ = 1n << 4n;
export const PERF_SAMPLE_CALLCHAIN = 1n << 5n;
export const PERF_SAMPLE_ID = 1n << 6n;
export const PERF_SAMPLE_CPU = 1n << 7n;
export const PERF_SAMPLE_PERIOD = 1n << 8n;
export const PERF_SAMPLE_STREAM_ID = 1n << 9n;
export const PERF_SAMPLE_RAW = 1n << 10n;
export const PERF_SAMPLE_BRANCH_STACK = 1n << 11n;
export const PERF_SAMPLE_STACK_USER = 1n << 13n;
export const PERF_SAMPLE_IDENTIFIER = 1n << 16n;
export const PERF_SAMPLE_MAX = 1n << 25n;

/** enum perf_event_read_format */
export const PERF_FORMAT_TOTAL_TIME_ENABLED = 1n << 0n;
export const PERF_FORMAT_TOTAL_TIME_RUNNING = 1n << 1n;
export const PERF_FORMAT_ID = 1n << 2n;
export const PERF_FORMAT_GROUP = 1n << 3n;
export const PERF_FORMAT_LOST = 1n << 4n;
export const PERF_FORMAT_MAX = 1n << 5n;

/** perf_event_open(2) flags */
export const PERF_FLAG_FD_NO_GROUP = 1 << 0;
export const PERF_FLAG_FD_OUTPUT = 1 << 1;
export const PERF_FLAG_PID_CGROUP = 1 << 2;
export const PERF_FLAG_FD_CLOEXEC = 1 << 3;
export const PERF_FLAG_ALL =
  PERF_FLAG_FD_NO_GROUP | PERF_FLAG_FD_OUTPUT | PERF_FLAG_PID_CGROUP | PERF_FLAG_FD_CLOEXEC;

/** Callchain context markers (enum perf_callchain_context), as u64. */
export const PERF_CONTEXT_HV = -32;
export const PERF_CONTEXT_KERNEL = -128;
export const PERF_CONTEXT_USER = -512;
export const PERF_CONTEXT_GUEST = -2048;
export const PERF_CONTEXT_GUEST_KERNEL = -2176;
export const PERF_CONTEXT_GUEST_USER = -2560;

/** PERF_RECORD_MISC_CPUMODE values (misc & 7). */
export const PERF_RECORD_MISC_CPUMODE_UNKNOWN = 0;
export const PERF_RECORD_MISC_KERNEL = 1;
export const PERF_RECORD_MISC_USER = 2;
export const PERF_RECORD_MISC_HYPERVISOR = 3;
export const PERF_RECORD_MISC_GUEST_KERNEL = 4;
export const PERF_RECORD_MISC_GUEST_USER = 5;
export const PERF_RECORD_MISC_EXACT_IP = 1 << 14;

export interface PerfEventAttr {
  type: number;
  /** 0 means PERF_ATTR_SIZE_VER0. perf_event_open writes the kernel's size back on E2BIG. */
  size: number;
  config: bigint;
  /** Meaningful when freq is 0 (the union's other member is sample_freq). */
  sample_period: bigint;
  /** Meaningful when freq is 1. */
  sample_freq: number;
  sample_type: bigint;
  read_format: bigint;

  disabled: boolean;
  inherit: boolean;
  pinned: boolean;
  exclusive: boolean;
  exclude_user: boolean;
  exclude_kernel: boolean;
  exclude_hv: boolean;
  exclude_idle: boolean;
  mmap: boolean;
  comm: boolean;
  freq: boolean;
  enable_on_exec: boolean;
  task: boolean;
  watermark: boolean;
  /** 0..3 (two bits). */
  precise_ip: number;
  sample_id_all: boolean;
  exclude_host: boolean;
  exclude_guest: boolean;
  exclude_callchain_kernel: boolean;
  exclude_callchain_user: boolean;
  context_switch: boolean;
  remove_on_exec: boolean;
  sigtrap: boolean;

  wakeup_events: number;
  config1: bigint;
  config2: bigint;
  config3: bigint;
  branch_sample_type: bigint;
  /** 0 means "use the sysctl perf_event_max_stack". */
  sample_max_stack: number;
  /**
   * Bytes user space passed beyond the kernel's struct (size > PERF_ATTR_SIZE_KERNEL).
   * perf_copy_attr refuses the call if any of them is non-zero.
   */
  tail?: Uint8Array;
}

/** An attr as `memset(&attr, 0, sizeof(attr))` leaves it, with the given fields set. */
export function makeAttr(fields: Partial<PerfEventAttr> = {}): PerfEventAttr {
  return {
    type: PERF_TYPE_HARDWARE,
    size: PERF_ATTR_SIZE_KERNEL,
    config: 0n,
    sample_period: 0n,
    sample_freq: 0,
    sample_type: 0n,
    read_format: 0n,
    disabled: false,
    inherit: false,
    pinned: false,
    exclusive: false,
    exclude_user: false,
    exclude_kernel: false,
    exclude_hv: false,
    exclude_idle: false,
    mmap: false,
    comm: false,
    freq: false,
    enable_on_exec: false,
    task: false,
    watermark: false,
    precise_ip: 0,
    sample_id_all: false,
    exclude_host: false,
    exclude_guest: false,
    exclude_callchain_kernel: false,
    exclude_callchain_user: false,
    context_switch: false,
    remove_on_exec: false,
    sigtrap: false,
    wakeup_events: 0,
    config1: 0n,
    config2: 0n,
    config3: 0n,
    branch_sample_type: 0n,
    sample_max_stack: 0,
    ...fields,
  };
}

export function isSamplingAttr(attr: PerfEventAttr): boolean {
  return attr.freq ? attr.sample_freq !== 0 : attr.sample_period !== 0n;
}
