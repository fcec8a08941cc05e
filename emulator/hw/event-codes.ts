/**
 * Event encodings of the modelled PMUs. Two directions:
 *  - the kernel's generic-event maps (PERF_TYPE_HARDWARE config → raw event
 *    selector), as intel_perfmon_event_map (arch/x86/events/intel/core.c),
 *    amd_zen4_perfmon_event_map (arch/x86/events/amd/core.c) and
 *    armv8_pmuv3_perf_map (drivers/perf/arm_pmuv3.c) have them;
 *  - decoding a raw selector (PERFEVTSEL / PMEVTYPER contents, or a RAW attr
 *    config) into the HwEvent the hardware model counts.
 * The AMD model is a Zen 4: PerfMonV2 (hw/pmu-model.ts) first shipped there.
 */
import {
  PERF_TYPE_HARDWARE,
  PERF_TYPE_HW_CACHE,
  PERF_TYPE_RAW,
  PERF_TYPE_SOFTWARE,
  PerfHwId,
} from '../perf/attr';
import type { Vendor } from '../scenario/types';
import { HW_EVENT_NONE, HwEvent } from './events';

type GenericMap = Readonly<Partial<Record<number, bigint>>>;

/**
 * PERF_COUNT_HW_* → selector. An absent entry is an event the kernel maps to
 * 0, which perf_event_open refuses with ENOENT. Intel's stalled-cycles entries
 * are only filled in for pre-Skylake models, so the modelled core has none.
 */
const GENERIC_EVENT_MAPS: Record<Vendor, GenericMap> = {
  intel: {
    [PerfHwId.CPU_CYCLES]: 0x003cn,
    [PerfHwId.INSTRUCTIONS]: 0x00c0n,
    [PerfHwId.CACHE_REFERENCES]: 0x4f2en,
    [PerfHwId.CACHE_MISSES]: 0x412en,
    [PerfHwId.BRANCH_INSTRUCTIONS]: 0x00c4n,
    [PerfHwId.BRANCH_MISSES]: 0x00c5n,
    [PerfHwId.BUS_CYCLES]: 0x013cn,
    // Pseudo-encoding (event 0, umask 3): only fixed counter 2 can count it.
    [PerfHwId.REF_CPU_CYCLES]: 0x0300n,
  },
  amd: {
    [PerfHwId.CPU_CYCLES]: 0x0076n,
    [PerfHwId.INSTRUCTIONS]: 0x00c0n,
    [PerfHwId.CACHE_REFERENCES]: 0xff60n,
    [PerfHwId.CACHE_MISSES]: 0x0964n,
    [PerfHwId.BRANCH_INSTRUCTIONS]: 0x00c2n,
    [PerfHwId.BRANCH_MISSES]: 0x00c3n,
    [PerfHwId.STALLED_CYCLES_FRONTEND]: 0x00a9n,
    // PMCx120, non-halted cycles at P0 frequency (Zen 4 and later).
    [PerfHwId.REF_CPU_CYCLES]: 0x100000120n,
  },
  arm: {
    [PerfHwId.CPU_CYCLES]: 0x11n,
    [PerfHwId.INSTRUCTIONS]: 0x08n,
    [PerfHwId.CACHE_REFERENCES]: 0x04n,
    [PerfHwId.CACHE_MISSES]: 0x03n,
    [PerfHwId.BRANCH_INSTRUCTIONS]: 0x0cn,
    [PerfHwId.BRANCH_MISSES]: 0x10n,
    [PerfHwId.BUS_CYCLES]: 0x1dn,
    [PerfHwId.STALLED_CYCLES_FRONTEND]: 0x23n,
    [PerfHwId.STALLED_CYCLES_BACKEND]: 0x24n,
  },
};

/** The selector the kernel programs for a generic hardware event, or undefined (ENOENT). */
export function genericEventSelector(vendor: Vendor, hwId: number): bigint | undefined {
  return GENERIC_EVENT_MAPS[vendor][hwId];
}

// PERFEVTSEL fields (Intel SDM vol. 3 "IA32_PERFEVTSELx"; AMD APM vol. 2 "PerfEvtSeln").
const EVENTSEL_EVENT = 0xffn;
const EVENTSEL_UMASK_SHIFT = 8n;
const EVENTSEL_EDGE = 1n << 18n;
const EVENTSEL_INV = 1n << 23n;
const EVENTSEL_CMASK = 0xffn << 24n;
const AMD_EVENTSEL_EVENT_HI = 0xfn << 32n;
/** X86_RAW_EVENT_MASK: the bits that select what is counted (not where or whether). */
const X86_RAW_EVENT_MASK = EVENTSEL_EVENT | (0xffn << EVENTSEL_UMASK_SHIFT) | EVENTSEL_EDGE | EVENTSEL_INV | EVENTSEL_CMASK;

/** Intel events by (umask << 8 | event). */
const INTEL_EVENTS = new Map<number, HwEvent>([
  [0x003c, HwEvent.CYCLES], // CPU_CLK_UNHALTED.THREAD_P
  // CPU_CLK_UNHALTED.REF_XCLK ("bus-cycles") ticks at the bus clock, not the
  // TSC rate; the model has one constant-rate clock, so both count REF_CYCLES.
  [0x013c, HwEvent.REF_CYCLES],
  [0x0300, HwEvent.REF_CYCLES], // fixed counter 2 pseudo-encoding, CPU_CLK_UNHALTED.REF_TSC
  [0x00c0, HwEvent.INSTRUCTIONS], // INST_RETIRED.ANY_P
  [0x0100, HwEvent.INSTRUCTIONS], // fixed counter 0 pseudo-encoding, INST_RETIRED.PREC_DIST
  [0x4f2e, HwEvent.CACHE_REFERENCES], // LONGEST_LAT_CACHE.REFERENCE
  [0x412e, HwEvent.CACHE_MISSES], // LONGEST_LAT_CACHE.MISS
  [0x00c4, HwEvent.BRANCHES], // BR_INST_RETIRED.ALL_BRANCHES
  [0x00c5, HwEvent.BRANCH_MISSES], // BR_MISP_RETIRED.ALL_BRANCHES
]);

/** AMD Zen events by (umask << 12 | 12-bit event). */
const AMD_EVENTS = new Map<number, HwEvent>([
  [0x076, HwEvent.CYCLES], // LsNotHaltedCyc
  [(0x01 << 12) | 0x120, HwEvent.REF_CYCLES], // LsNotHaltedP0Cyc.P0FreqCyc
  [0x0c0, HwEvent.INSTRUCTIONS], // ExRetInstr
  [0x0c2, HwEvent.BRANCHES], // ExRetBrn
  [0x0c3, HwEvent.BRANCH_MISSES], // ExRetBrnMisp
  [(0xff << 12) | 0x060, HwEvent.CACHE_REFERENCES], // L2RequestG1, all request types
  [(0x09 << 12) | 0x064, HwEvent.CACHE_MISSES], // L2CacheReqStat, IC and DC misses in L2
]);

/** PMUv3 common events (Arm ARM D17.11), by their sysfs names. */
export const ARMV8_PMUV3_COMMON_EVENTS: Readonly<Record<string, number>> = {
  sw_incr: 0x00,
  l1i_cache_refill: 0x01,
  l1i_tlb_refill: 0x02,
  l1d_cache_refill: 0x03,
  l1d_cache: 0x04,
  l1d_tlb_refill: 0x05,
  inst_retired: 0x08,
  exc_taken: 0x09,
  exc_return: 0x0a,
  pc_write_retired: 0x0c,
  br_immed_retired: 0x0d,
  br_return_retired: 0x0e,
  br_mis_pred: 0x10,
  cpu_cycles: 0x11,
  br_pred: 0x12,
  mem_access: 0x13,
  l1i_cache: 0x14,
  l1d_cache_wb: 0x15,
  l2d_cache: 0x16,
  l2d_cache_refill: 0x17,
  l2d_cache_wb: 0x18,
  bus_access: 0x19,
  inst_spec: 0x1b,
  bus_cycles: 0x1d,
  br_retired: 0x21,
  br_mis_pred_retired: 0x22,
  stall_frontend: 0x23,
  stall_backend: 0x24,
  l1d_tlb: 0x25,
  l1i_tlb: 0x26,
  l3d_cache_refill: 0x2a,
  l3d_cache: 0x2b,
  ll_cache: 0x32,
  ll_cache_miss: 0x33,
  ll_cache_rd: 0x36,
  ll_cache_miss_rd: 0x37,
};
/** Counts PMSWINC_EL0 writes, not a hardware condition: the hw layer handles it. */
export const ARMV8_PMUV3_PERFCTR_SW_INCR = 0x00;
/** Counts the even neighbour's overflows: the hw layer chains the pair. */
export const ARMV8_PMUV3_PERFCTR_CHAIN = 0x1e;
/** PMEVTYPER<n>_EL0.evtCount (16 bits with PMUv3p1). */
const ARMV8_EVTYPE_EVENT = 0xffffn;

// The model has one cache level and one branch unit, so every level's access
// or refill event counts the same thing.
const ARM_EVENTS = new Map<number, HwEvent>([
  [0x11, HwEvent.CYCLES],
  [0x08, HwEvent.INSTRUCTIONS],
  [0x0c, HwEvent.BRANCHES], // PC_WRITE_RETIRED: the kernel's "branches"
  [0x12, HwEvent.BRANCHES], // BR_PRED
  [0x21, HwEvent.BRANCHES], // BR_RETIRED
  [0x10, HwEvent.BRANCH_MISSES], // BR_MIS_PRED
  [0x22, HwEvent.BRANCH_MISSES], // BR_MIS_PRED_RETIRED
  [0x04, HwEvent.CACHE_REFERENCES], // L1D_CACHE
  [0x2b, HwEvent.CACHE_REFERENCES], // L3D_CACHE
  [0x32, HwEvent.CACHE_REFERENCES], // LL_CACHE
  [0x36, HwEvent.CACHE_REFERENCES], // LL_CACHE_RD
  [0x03, HwEvent.CACHE_MISSES], // L1D_CACHE_REFILL
  [0x2a, HwEvent.CACHE_MISSES], // L3D_CACHE_REFILL
  [0x33, HwEvent.CACHE_MISSES], // LL_CACHE_MISS
  [0x37, HwEvent.CACHE_MISSES], // LL_CACHE_MISS_RD
]);

/**
 * What a raw selector counts. Privilege, enable, interrupt and host/guest bits
 * are ignored (they say where and whether, not what). On x86 an edge, invert
 * or counter-mask qualifier turns any event into an occurrence/threshold
 * count the model does not produce, so those decode to HW_EVENT_NONE, as does
 * every valid encoding the model does not count.
 */
export function decodeEventSelector(vendor: Vendor, config: bigint): HwEvent | typeof HW_EVENT_NONE {
  if (vendor === 'arm') return ARM_EVENTS.get(Number(config & ARMV8_EVTYPE_EVENT)) ?? HW_EVENT_NONE;
  if (config & (EVENTSEL_EDGE | EVENTSEL_INV | EVENTSEL_CMASK)) return HW_EVENT_NONE;
  const event = Number(config & EVENTSEL_EVENT);
  const umask = Number((config >> EVENTSEL_UMASK_SHIFT) & 0xffn);
  if (vendor === 'intel') return INTEL_EVENTS.get((umask << 8) | event) ?? HW_EVENT_NONE;
  const amdEvent = event | Number((config & AMD_EVENTSEL_EVENT_HI) >> 24n);
  return AMD_EVENTS.get((umask << 12) | amdEvent) ?? HW_EVENT_NONE;
}

/**
 * Intel fixed-counter pseudo-encodings (the kernel's FIXED_EVENT_CONSTRAINTs):
 * fixed 0 INST_RETIRED.ANY, fixed 1 CPU_CLK_UNHALTED.CORE, fixed 2
 * CPU_CLK_UNHALTED.REF_TSC; 0x0100 is the Icelake+ alias of fixed 0.
 */
const INTEL_FIXED_EVENTS = new Map<bigint, number>([
  [0x00c0n, 0],
  [0x0100n, 0],
  [0x003cn, 1],
  [0x0300n, 2],
]);

/** The Intel fixed counter (0-based) a selector may run on, or null. Any qualifier bit rules it out. */
export function intelFixedCounterFor(config: bigint): number | null {
  return INTEL_FIXED_EVENTS.get(config & X86_RAW_EVENT_MASK) ?? null;
}

/** enum perf_hw_cache_id / _op_id / _op_result_id and perf's aliases for them (first is canonical). */
export const HW_CACHE_NAMES: readonly (readonly string[])[] = [
  ['L1-dcache', 'l1-d', 'l1d', 'L1-data'],
  ['L1-icache', 'l1-i', 'l1i', 'L1-instruction'],
  ['LLC', 'L2'],
  ['dTLB', 'd-tlb', 'Data-TLB'],
  ['iTLB', 'i-tlb', 'Instruction-TLB'],
  ['branch', 'branches', 'bpu', 'btb', 'bpc'],
  ['node'],
];
export const HW_CACHE_OP_NAMES: readonly (readonly string[])[] = [
  ['load', 'loads', 'read'],
  ['store', 'stores', 'write'],
  ['prefetch', 'prefetches', 'speculative-read', 'speculative-load'],
];
export const HW_CACHE_RESULT_NAMES: readonly (readonly string[])[] = [
  ['refs', 'Reference', 'ops', 'access'],
  ['misses', 'miss'],
];
const OP_READ = 1 << 0;
const OP_WRITE = 1 << 1;
const OP_PREFETCH = 1 << 2;
/** perf's evsel__hw_cache_stat: which ops each cache type accepts. */
const HW_CACHE_OPS = [
  OP_READ | OP_WRITE | OP_PREFETCH,
  OP_READ | OP_PREFETCH,
  OP_READ | OP_WRITE | OP_PREFETCH,
  OP_READ | OP_WRITE | OP_PREFETCH,
  OP_READ,
  OP_READ,
  OP_READ | OP_WRITE | OP_PREFETCH,
];

export function isCacheOpValid(type: number, op: number): boolean {
  return ((HW_CACHE_OPS[type] ?? 0) & (1 << op)) !== 0;
}

/** parse_aliases: the index whose alias is the longest case-insensitive prefix, and its length. */
function parseAliases(s: string, names: readonly (readonly string[])[]): [number, number] {
  const lower = s.toLowerCase();
  for (let i = 0; i < names.length; i++) {
    const len = Math.max(0, ...names[i].filter((n) => lower.startsWith(n.toLowerCase())).map((n) => n.length));
    if (len > 0) return [i, len];
  }
  return [-1, 0];
}

/**
 * perf's parse_events__decode_legacy_cache: a cache event name
 * ("L1-dcache-load-misses") to its config, type | op << 8 | result << 16;
 * null for an unknown cache or an op the cache does not have. Op and result
 * default to read and access.
 */
export function decodeHwCacheName(name: string): bigint | null {
  const [type, typeLen] = parseAliases(name, HW_CACHE_NAMES);
  if (type < 0) return null;
  let rest = name.slice(typeLen + 1);
  let op = -1;
  let result = -1;
  for (let part = 0; part < 2 && rest; part++) {
    const [o, oLen] = op < 0 ? parseAliases(rest, HW_CACHE_OP_NAMES) : [-1, 0];
    if (o >= 0) {
      if (!isCacheOpValid(type, o)) return null;
      op = o;
      rest = rest.slice(oLen + 1);
      continue;
    }
    const [r, rLen] = result < 0 ? parseAliases(rest, HW_CACHE_RESULT_NAMES) : [-1, 0];
    if (r < 0) break;
    result = r;
    rest = rest.slice(rLen + 1);
  }
  return BigInt(type | (Math.max(op, 0) << 8) | (Math.max(result, 0) << 16));
}

const HW_NAMES = [
  'cycles',
  'instructions',
  'cache-references',
  'cache-misses',
  'branches',
  'branch-misses',
  'bus-cycles',
  'stalled-cycles-frontend',
  'stalled-cycles-backend',
  'ref-cycles',
];
const SW_NAMES = [
  'cpu-clock',
  'task-clock',
  'page-faults',
  'context-switches',
  'cpu-migrations',
  'minor-faults',
  'major-faults',
  'alignment-faults',
  'emulation-faults',
  'dummy',
  'bpf-output',
  'cgroup-switches',
];

/** The name perf's evsel__name derives from an attr when no name was given. */
export function genericEventName(type: number, config: bigint): string {
  // The upper half of a HARDWARE/HW_CACHE config is the extended PMU type.
  const c = Number(config & 0xffffffffn);
  switch (type) {
    case PERF_TYPE_HARDWARE:
      return c < HW_NAMES.length ? HW_NAMES[c] : 'unknown-hardware';
    case PERF_TYPE_SOFTWARE:
      return config < BigInt(SW_NAMES.length) ? SW_NAMES[c] : 'unknown-software';
    case PERF_TYPE_HW_CACHE: {
      const [cache, op, result] = [c & 0xff, (c >> 8) & 0xff, (c >> 16) & 0xff];
      if (cache >= HW_CACHE_NAMES.length) return 'unknown-ext-hardware-cache-type';
      if (op >= HW_CACHE_OP_NAMES.length) return 'unknown-ext-hardware-cache-op';
      if (result >= HW_CACHE_RESULT_NAMES.length) return 'unknown-ext-hardware-cache-result';
      if (!isCacheOpValid(cache, op)) return 'invalid-cache';
      return result
        ? `${HW_CACHE_NAMES[cache][0]}-${HW_CACHE_OP_NAMES[op][0]}-${HW_CACHE_RESULT_NAMES[result][0]}`
        : `${HW_CACHE_NAMES[cache][0]}-${HW_CACHE_OP_NAMES[op][1]}`;
    }
    case PERF_TYPE_RAW:
      return `raw 0x${config.toString(16)}`;
    default:
      return 'unknown';
  }
}
