/**
 * What /sys/bus/event_source/devices/<pmu>/ shows on the emulated machine:
 * each PMU's type number, its format/ files (how a term is packed into
 * config..config3) and its events/ aliases. It is all the perf tool reads to
 * turn `pmu/terms/` into an attr.
 */
import { ARMV8_PMUV3_COMMON_EVENTS, genericEventSelector } from '../hw/event-codes';
import {
  PERF_TYPE_BREAKPOINT,
  PERF_TYPE_RAW,
  PERF_TYPE_SOFTWARE,
  PERF_TYPE_TRACEPOINT,
  PerfHwId,
} from '../perf/attr';
import type { Arch, Vendor } from '../scenario/types';

export interface SysfsPmu {
  name: string;
  /** The `type` file: what attr.type selects this PMU. */
  type: number;
  /** The CPU's own PMU (perf's is_core): generic hardware and raw events land here. */
  core: boolean;
  /** format/<term> → "config:0-7,32-35" */
  format: Readonly<Record<string, string>>;
  /** events/<alias> → "event=0x2e,umask=0x4f" */
  events: Readonly<Record<string, string>>;
}

export type ConfigField = 'config' | 'config1' | 'config2' | 'config3';

export interface FormatBits {
  field: ConfigField;
  /** Target bit positions, lowest first: value bit i goes to bits[i]. */
  bits: number[];
}

/** Parse a format file ("config:0-7,32-35") the way perf's format parser does. */
export function parseFormat(spec: string): FormatBits {
  const [field, ranges] = spec.split(':');
  const bits: number[] = [];
  for (const range of ranges.split(',')) {
    const [lo, hi = lo] = range.split('-').map(Number);
    for (let b = lo; b <= hi; b++) bits.push(b);
  }
  return { field: field as ConfigField, bits };
}

const INTEL_FORMAT = {
  event: 'config:0-7',
  umask: 'config:8-15',
  edge: 'config:18',
  pc: 'config:19',
  inv: 'config:23',
  cmask: 'config:24-31',
  ldlat: 'config1:0-15',
  frontend: 'config1:0-23',
  offcore_rsp: 'config1:0-63',
};
// AMD's 12-bit event select splits into bits 0-7 and 32-35.
const AMD_FORMAT = {
  event: 'config:0-7,32-35',
  umask: 'config:8-15',
  edge: 'config:18',
  inv: 'config:23',
  cmask: 'config:24-31',
};
const ARMV8_FORMAT = { event: 'config:0-15', long: 'config1:0', rdpmc: 'config1:1' };

/** The x86 generic-event aliases, hidden (as the kernel's is_visible does) when unmapped. */
const X86_EVENT_ALIASES: [string, number][] = [
  ['cpu-cycles', PerfHwId.CPU_CYCLES],
  ['instructions', PerfHwId.INSTRUCTIONS],
  ['cache-references', PerfHwId.CACHE_REFERENCES],
  ['cache-misses', PerfHwId.CACHE_MISSES],
  ['branch-instructions', PerfHwId.BRANCH_INSTRUCTIONS],
  ['branch-misses', PerfHwId.BRANCH_MISSES],
  ['bus-cycles', PerfHwId.BUS_CYCLES],
  ['stalled-cycles-frontend', PerfHwId.STALLED_CYCLES_FRONTEND],
  ['stalled-cycles-backend', PerfHwId.STALLED_CYCLES_BACKEND],
  ['ref-cycles', PerfHwId.REF_CPU_CYCLES],
];

const hex2 = (v: bigint) => `0x${v.toString(16).padStart(2, '0')}`;

/** x86_event_sysfs_show: AMD's extra event bits 35:32 print as part of the event number. */
function x86EventAlias(vendor: Vendor, config: bigint): string {
  let event = config & 0xffn;
  if (vendor === 'amd') event |= (config >> 24n) & 0xf00n;
  const umask = (config >> 8n) & 0xffn;
  return umask ? `event=${hex2(event)},umask=${hex2(umask)}` : `event=${hex2(event)}`;
}

function x86CorePmu(vendor: Vendor): SysfsPmu {
  const events: Record<string, string> = {};
  for (const [alias, id] of X86_EVENT_ALIASES) {
    const config = genericEventSelector(vendor, id);
    if (config !== undefined) events[alias] = x86EventAlias(vendor, config);
  }
  return { name: 'cpu', type: PERF_TYPE_RAW, core: true, format: vendor === 'amd' ? AMD_FORMAT : INTEL_FORMAT, events };
}

/**
 * PMUs registered with a dynamic type get numbers from PERF_TYPE_MAX (6) up in
 * probe order; kprobe and uprobe usually take 6 and 7 before the arm PMU.
 */
const ARMV8_PMU_TYPE = 8;

function armv8CorePmu(): SysfsPmu {
  const events: Record<string, string> = {};
  for (const [alias, num] of Object.entries(ARMV8_PMUV3_COMMON_EVENTS)) {
    events[alias] = `event=0x${num.toString(16).padStart(4, '0')}`;
  }
  // ACPI systems name the PMU after the driver, not the core type.
  return { name: 'armv8_pmuv3_0', type: ARMV8_PMU_TYPE, core: true, format: ARMV8_FORMAT, events };
}

const plainPmu = (name: string, type: number): SysfsPmu => ({ name, type, core: false, format: {}, events: {} });

/** /sys/bus/event_source/devices/ for a machine. */
export function pmusFor(arch: Arch, vendor: Vendor): SysfsPmu[] {
  return [
    arch === 'arm64' ? armv8CorePmu() : x86CorePmu(vendor),
    plainPmu('software', PERF_TYPE_SOFTWARE),
    plainPmu('tracepoint', PERF_TYPE_TRACEPOINT),
    plainPmu('breakpoint', PERF_TYPE_BREAKPOINT),
  ];
}
