/**
 * The perf tool's event selector (tools/perf/util/evsel.h): the attr it will
 * open plus what the event string said that an attr cannot hold, and the
 * parts of evsel__config / evsel__fallback that depend only on those.
 */
import { genericEventName } from '../hw/event-codes';
import {
  PERF_FORMAT_GROUP,
  PERF_FORMAT_ID,
  PERF_SAMPLE_ID,
  PERF_SAMPLE_PERIOD,
  PERF_SAMPLE_READ,
  PERF_SAMPLE_TID,
  PERF_TYPE_HARDWARE,
  PERF_TYPE_HW_CACHE,
  PERF_TYPE_RAW,
  PERF_TYPE_SOFTWARE,
  PerfHwId,
  PerfSwId,
  type PerfEventAttr,
} from '../perf/attr';
import { Errno } from '../perf/errno';

export type ConfigTermValue = bigint | string | boolean;

export interface Evsel {
  /** Position in the evlist. */
  idx: number;
  /** evsel__name: the event as written, its name= term, or a fallback-amended name. */
  name: string;
  attr: PerfEventAttr;
  /** The PMU the event belongs to ('cpu', 'armv8_pmuv3_0', 'software', ...). */
  pmu: string;
  /** Evlist index of the group leader: its own idx when it leads or stands alone. */
  leader: number;
  /** Position inside its group, 0 for the leader. */
  groupIdx: number;
  /** Size of its group, 1 when standalone. */
  nrMembers: number;
  /** The `name` of `name{...}`, on the leader. */
  groupName: string | null;
  /**
   * evsel->exclude_GH: the host/guest choice came from the event string (G/H),
   * so neither the perf kvm default nor the exclude_guest fallback touches it.
   */
  explicitGH: boolean;
  /** P: open with the highest precise_ip the kernel accepts. */
  preciseMax: boolean;
  /** W: split the group into standalone events if it cannot be opened. */
  weakGroup: boolean;
  /** S: the leader samples and reads the whole group. */
  sampleRead: boolean;
  /** Per-event terms (period, freq, call-graph, time...) that win over the tool's options. */
  configTerms: Map<string, ConfigTermValue>;
  /** precise_ip before evselPreciseIpFallback first lowered it. */
  preciseIpOriginal: number;
}

export function evselIsGroupLeader(evsel: Evsel): boolean {
  return evsel.leader === evsel.idx;
}

/** evsel__add_modifiers: the ":ku..." suffix an attr-derived name gets. */
function modifierSuffix(attr: PerfEventAttr): string {
  let mods = '';
  if (attr.exclude_kernel || attr.exclude_user || attr.exclude_hv) {
    if (!attr.exclude_kernel) mods += 'k';
    if (!attr.exclude_user) mods += 'u';
    if (!attr.exclude_hv) mods += 'h';
  }
  mods += 'ppp'.slice(0, attr.precise_ip);
  if (attr.exclude_host || attr.exclude_guest) {
    if (!attr.exclude_host) mods += 'H';
    if (!attr.exclude_guest) mods += 'G';
  }
  return mods ? `:${mods}` : '';
}

/** evsel__name for an evsel that carries no name: derived from type, config and exclude bits. */
export function evselNameFromAttr(attr: PerfEventAttr): string {
  const base = genericEventName(attr.type, attr.config);
  const withMods = [PERF_TYPE_HARDWARE, PERF_TYPE_SOFTWARE, PERF_TYPE_HW_CACHE, PERF_TYPE_RAW];
  return withMods.includes(attr.type) ? base + modifierSuffix(attr) : base;
}

/**
 * What evsel__config / evlist__config apply last, over the tool's own
 * options: the event's config terms (period, freq, inherit), then the P and S
 * modifiers. parseEvents runs it; a tool that sets sampling defaults or
 * inherit afterwards runs it again (it is idempotent).
 */
export function evselApplyEventString(evlist: Evsel[]): void {
  for (const evsel of evlist) {
    const attr = evsel.attr;
    const period = evsel.configTerms.get('period');
    const freq = evsel.configTerms.get('freq');
    const inherit = evsel.configTerms.get('inherit');
    if (typeof period === 'bigint') {
      attr.sample_period = period;
      attr.freq = false;
      attr.sample_type &= ~PERF_SAMPLE_PERIOD;
    }
    if (typeof freq === 'bigint') {
      attr.sample_freq = Number(freq);
      attr.freq = true;
      attr.sample_type |= PERF_SAMPLE_PERIOD;
    }
    if (typeof inherit === 'boolean') attr.inherit = inherit;
    if (evsel.preciseMax) attr.precise_ip = 3;
    if (!evsel.sampleRead) continue;
    // PERF_SAMPLE_ID even for one event: samples must say which event read.
    attr.sample_type |= PERF_SAMPLE_READ | PERF_SAMPLE_ID;
    attr.read_format |= PERF_FORMAT_ID;
    if (evlist[evsel.leader].nrMembers > 1) attr.read_format |= PERF_FORMAT_GROUP;
    // inherit + PERF_SAMPLE_READ needs PERF_SAMPLE_TID (kernel 6.12+).
    if (attr.inherit) attr.sample_type |= PERF_SAMPLE_TID;
  }
  // evsel__config_leader_sampling: members of a sample-read group do not sample
  // unless they were given their own period or freq.
  for (const evsel of evlist) {
    const leader = evlist[evsel.leader];
    if (!leader.sampleRead || evselIsGroupLeader(evsel)) continue;
    if (!evsel.configTerms.has('period') && !evsel.configTerms.has('freq')) {
      evsel.attr.freq = false;
      evsel.attr.sample_freq = 0;
      evsel.attr.sample_period = 0n;
    }
    evsel.attr.sample_type = leader.attr.sample_type;
  }
}

/**
 * evsel__precise_ip_fallback: a P event that failed to open (whatever the
 * errno) retries one precise level lower, down to 0; then the original level
 * is restored and the ordinary fallbacks get their turn. Returns whether to
 * retry. perf logs this only at -vv.
 */
export function evselPreciseIpFallback(evsel: Evsel): boolean {
  if (!evsel.preciseMax) return false;
  if (!evsel.attr.precise_ip) {
    evsel.attr.precise_ip = evsel.preciseIpOriginal;
    return false;
  }
  if (!evsel.preciseIpOriginal) evsel.preciseIpOriginal = evsel.attr.precise_ip;
  evsel.attr.precise_ip--;
  return true;
}

export interface FallbackTarget {
  /** -a or -C: a CPU-wide target (cycles then falls back to cpu-clock, else task-clock). */
  cpuWide: boolean;
}

/**
 * evsel__fallback (perf >= 6.13): amend an evsel after perf_event_open failed
 * with `errno` (positive or negative) and return the message perf shows (at
 * -v for perf stat/record), or null when nothing applies and the error stands.
 * Order as in perf: cycles → cpu-clock/task-clock, then EOPNOTSUPP → exclude
 * guest. (perf's EACCES → user-only fallback needs an EACCES the emulated
 * kernel's Errno does not have yet.)
 */
export function evselFallback(evsel: Evsel, errno: number, target: FallbackTarget): string | null {
  const err = Math.abs(errno);
  const attr = evsel.attr;
  if (
    (err === Errno.ENOENT || err === Errno.ENXIO || err === Errno.ENODEV) &&
    attr.type === PERF_TYPE_HARDWARE &&
    attr.config === BigInt(PerfHwId.CPU_CYCLES)
  ) {
    // The hrtimer-based software clock exists even without a PMU.
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = BigInt(target.cpuWide ? PerfSwId.CPU_CLOCK : PerfSwId.TASK_CLOCK);
    evsel.name = evselNameFromAttr(attr);
    return `The cycles event is not supported, trying to fall back to ${target.cpuWide ? 'cpu-clock' : 'task-clock'}`;
  }
  if (err === Errno.EOPNOTSUPP && !attr.exclude_guest && !evsel.explicitGH) {
    // Apple M1 and mediated-vPMU hosts refuse events that would count guests.
    // The letter joins an existing modifier list (or pmu/.../ suffix) as is.
    const sep = evsel.name.includes('/') || evsel.name.includes(':') ? '' : ':';
    evsel.name = `${evsel.name}${sep}H`;
    attr.exclude_guest = true;
    return 'Trying to fall back to excluding guest samples';
  }
  return null;
}
