/**
 * The profile model: one columnar structure that every view projects from.
 *
 * Tables are records of parallel columns plus a `length` (the Firefox
 * Profiler's processed-format idea). Importers never write these directly:
 * they go through `ProfileBuilder` (profile/builder.ts) and the result is
 * read-only afterwards; transforms return new profiles.
 *
 * Sentinels: -1 means "none" in every index column (no dso, no prefix, no cpu,
 * no vCPU, no time).
 */

/** Where a piece of code ran. Stored as a Uint8 per frame and per sample. */
export const ExecContext = {
  HostUser: 0,
  HostKernel: 1,
  /** Host code running on behalf of a guest (KVM, the VMM's vCPU thread). */
  Hypervisor: 2,
  GuestKernel: 3,
  GuestUser: 4,
  Unknown: 5,
} as const;
export type ExecContext = (typeof ExecContext)[keyof typeof ExecContext];

export const EXEC_CONTEXT_NAMES = [
  'host-user',
  'host-kernel',
  'hypervisor',
  'guest-kernel',
  'guest-user',
  'unknown',
] as const;
export type ExecContextName = (typeof EXEC_CONTEXT_NAMES)[number];

declare const brand: unique symbol;
type Index<Kind extends string> = number & { readonly [brand]: Kind };
export type StringIndex = Index<'string'>;
export type FrameIndex = Index<'frame'>;
export type StackIndex = Index<'stack'>;
export type ThreadIndex = Index<'thread'>;
export type EventIndex = Index<'event'>;
export type MachineIndex = Index<'machine'>;

export interface FrameTable {
  length: number;
  /** Function name as the profile shows it (offsets like `+0x1f` stripped). */
  name: Int32Array; // StringIndex
  /** Binary or module the frame belongs to, -1 if unknown. */
  dso: Int32Array; // StringIndex | -1
  context: Uint8Array; // ExecContext
}

/**
 * A prefix tree: row i is frame[i] called from prefix[i] (-1 for a root).
 * Rows are topologically ordered: a prefix always precedes its children.
 */
export interface StackTable {
  length: number;
  frame: Int32Array; // FrameIndex
  prefix: Int32Array; // StackIndex | -1
}

export interface ThreadTable {
  length: number;
  comm: Int32Array; // StringIndex
  /** -1 when the trace holds only a tid (perf script without pid/tid pairs). */
  pid: Int32Array;
  tid: Int32Array;
  machine: Int32Array; // MachineIndex
}

export interface SampleTable {
  length: number;
  /** Leaf stack of each sample, -1 for a sample without a callchain. */
  stack: Int32Array;
  /** Nanoseconds since an arbitrary origin; NaN when the trace has no time. */
  time: Float64Array;
  /** The sample's period (event count it stands for); 1 when unknown. */
  weight: Float64Array;
  event: Int32Array; // EventIndex
  cpu: Int32Array; // -1 unknown
  thread: Int32Array; // ThreadIndex
  /** vCPU index inside the sample's machine, -1 for host samples. */
  vcpu: Int32Array;
  /** Execution context of the sampled IP (the leaf's, or the cpumode). */
  context: Uint8Array;
}

/** Which side of the host/guest split a counter track counts. */
export type CounterScope =
  /** exclude_guest: host execution only. */
  | 'host'
  /** exclude_host: guest execution only (of `machine`, or every guest when machine is -1). */
  | 'guest'
  /** Neither excluded: counts host and guest. */
  | 'both'
  /** The emulator's ground truth for the context named in `machine`. */
  | 'truth';

/**
 * A counter reading series: value[i] is the count during the interval that
 * ends at time[i] (perf stat -I style deltas, already scaled if multiplexed),
 * and running[i] is time_running / time_enabled for that interval (1 when
 * the event was never multiplexed; 0 when it did not run).
 */
export interface CounterTrack {
  name: string;
  event: number; // EventIndex | -1
  scope: CounterScope;
  machine: number; // MachineIndex | -1 (all)
  /** -1 for a system-wide (all CPUs) track. */
  cpu: number;
  unit: string;
  time: Float64Array;
  value: Float64Array;
  running: Float64Array;
}

/** What an interval on the timeline stands for. */
export const MarkerKind = {
  /** The vCPU was in guest mode (VM-entry to VM-exit); `name` is the exit reason. */
  GuestRun: 0,
  VmExit: 1,
  Throttle: 2,
  Lost: 3,
  /** An event went to the ERROR state. */
  EventError: 4,
  Migration: 5,
  /** Anything an importer carries over (Chrome trace durations, ...). */
  Other: 6,
} as const;
export type MarkerKind = (typeof MarkerKind)[keyof typeof MarkerKind];

export interface MarkerTable {
  length: number;
  name: Int32Array; // StringIndex
  kind: Uint8Array; // MarkerKind
  start: Float64Array; // ns
  /** Equal to start for an instant. */
  end: Float64Array;
  machine: Int32Array;
  cpu: Int32Array;
  vcpu: Int32Array;
  /** Free-form detail (JSON or text), -1 for none. */
  data: Int32Array; // StringIndex | -1
}

export interface MachineInfo {
  name: string;
  kind: 'host' | 'guest';
  /** The VMM process id on the host when known (perf's machine_pid). */
  pid: number;
}

/** One recorded event and its perf_event_attr bits, as far as the trace tells. */
export interface EventInfo {
  name: string;
  /** The `# event :` key/value pairs (or the emulator's attr), as written. */
  attr: Record<string, string>;
  exclude_guest: boolean;
  exclude_host: boolean;
  exclude_user: boolean;
  exclude_kernel: boolean;
  exclude_hv: boolean;
}

export interface ImportWarning {
  /** 1-based line, or -1 when the warning is not tied to one. */
  line: number;
  message: string;
}

export interface ProfileMeta {
  /** Name the profile was opened or recorded as (file base name, scenario). */
  name: string;
  /** The importer that produced it ("perf-script", ...). */
  source: string;
  /** Unit of SampleTable.weight. */
  weightUnit: 'samples' | 'events' | 'ns';
  warnings: ImportWarning[];
}

/** What perf stat prints for an event: its count, `<not counted>` or `<not supported>`. */
export type StatState = 'counted' | 'not-counted' | 'not-supported';

/**
 * One event's perf stat result over the whole trace, as perf stat reads it
 * at the end: summed over CPUs, each CPU scaled by its own
 * time_enabled / time_running before summing (perf's AGGR_GLOBAL).
 */
export interface StatResult {
  name: string;
  event: number; // EventIndex | -1
  /** Whose perf counted it. */
  machine: number; // MachineIndex
  /** Scaled count; 0 unless state is 'counted'. */
  count: number;
  /** Summed time_enabled / time_running, ns. */
  enabled: number;
  running: number;
  state: StatState;
  /** perf's unit column ('msec' for the clocks). */
  unit: string;
  /** The emulator's ground truth for the same event and time, when known. */
  truth?: number;
}

/** VM-exits of one exit reason on one vCPU over the trace. */
export interface VmExitRow {
  machine: number; // MachineIndex of the guest
  vcpu: number;
  /** The exit reason as perf kvm stat names it (MSR_WRITE, RDPMC, ...). */
  reason: string;
  count: number;
  /** Host time spent handling them, ns. */
  totalNs: number;
  /** How many of them the vPMU caused (RDPMC, PMU MSR accesses, PMI kicks, PV perf hypercalls). */
  pmuCount: number;
  pmuNs: number;
}

export interface VmExitTable {
  /** The time the exits were counted over, ns (rates are per second of it). */
  durationNs: number;
  rows: VmExitRow[];
  /** When the exits happened, where the recording knows (the emulator's); absent in older traces. */
  timeline?: VmExitTimeline;
}

/**
 * The rows' running totals at ascending times, the first at the start of the
 * counting (all zero) and the last at its end (the rows' totals), so the
 * exits of a time range can be read off (profile/exit-table.ts exitsInRange).
 * Each column is indexed [row of `rows`][time point].
 */
export interface VmExitTimeline {
  time: number[];
  count: number[][];
  totalNs: number[][];
  pmuCount: number[][];
  pmuNs: number[][];
}

/** One design and event of a vPMU design comparison (guestperf compare). */
export interface DesignComparisonRow {
  design: string;
  event: string;
  /** The guest's own perf stat count; null when `<not counted>` or `<not supported>`. */
  guestValue: number | null;
  truthValue: number | null;
  /** 100 · (guest − truth) / truth; null when either is missing. */
  errorPct: number | null;
  /** The guest event's time_running / time_enabled (1 unless multiplexed); null when not supported. */
  runningShare: number | null;
  pmuExits: number;
  vmExits: number;
  /** Host time spent handling the PMU-caused exits, ns. */
  hostCostNs: number;
}

export interface DesignComparison {
  /** The VM whose perf counted. */
  vm: string;
  rows: DesignComparisonRow[];
}

export interface Profile {
  meta: ProfileMeta;
  strings: string[];
  frames: FrameTable;
  stacks: StackTable;
  threads: ThreadTable;
  samples: SampleTable;
  machines: MachineInfo[];
  events: EventInfo[];
  counters: CounterTrack[];
  markers: MarkerTable;
  /** The scenario a trace was recorded from (emulator traces), as written. */
  scenario?: string;
  /** perf stat results, when the trace carries them (stat-table.ts derives them from counters otherwise). */
  stat?: StatResult[];
  /** VM-exits of the traced machine's VMs (emulator traces with a VM). */
  vmExits?: VmExitTable;
  /** A trace that compares vPMU designs (guestperf compare -o). */
  designComparison?: DesignComparison;
  /** The window's view state, saved with the trace and restored on open. */
  viewState?: unknown;
}

/** Sum of the weights of the samples of one event (all when event is -1). */
export function totalWeight(profile: Profile, event = -1): number {
  const { weight, event: ev, length } = profile.samples;
  let sum = 0;
  for (let i = 0; i < length; i++) if (event < 0 || ev[i] === event) sum += weight[i];
  return sum;
}

export function frameName(profile: Profile, frame: number): string {
  return profile.strings[profile.frames.name[frame]];
}
