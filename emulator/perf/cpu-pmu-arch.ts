/**
 * The per-architecture half of the core PMU driver, one ops table each:
 * x86 (Intel-like and AMD-like, arch/x86/events/{intel,amd}/core.c) and arm64
 * PMUv3 (drivers/perf/arm_pmuv3.c). Chosen once, when the machine is built.
 */
import { decodeEventSelector, genericEventSelector } from '../hw/event-codes';
import { HwEvent } from '../hw/events';
import { ARMV8_IDX_CYCLE_COUNTER, INTEL_PMC_IDX_FIXED, type PmuModel } from '../hw/pmu-model';
import {
  PERF_COUNT_HW_MAX,
  PERF_TYPE_HARDWARE,
  PERF_TYPE_HW_CACHE,
  PERF_TYPE_RAW,
  PerfHwId,
  type PerfEventAttr,
} from './attr';
import type { CpuPmuArch } from './cpu-pmu';
import { Errno } from './errno';
import type { PerfEvent } from './event';

/** The dynamic type number the arm64 PMU registers with (what sysfs `type` shows). */
export const ARMV8_PMU_TYPE = 8;

/** X86_RAW_EVENT_MASK: event, umask, edge, inv, cmask; AMD adds event bits 35:32. */
const X86_RAW_EVENT_MASK = 0xff_84_ff_ffn;
const AMD64_RAW_EVENT_MASK = X86_RAW_EVENT_MASK | (0xfn << 32n);
const ARMV8_PMU_EVTYPE_EVENT = 0xffffn;

/** PERF_COUNT_HW_CACHE_* ids, ops and results that this model maps (others: ENOENT). */
const CACHE_LL = 2;
const CACHE_BPU = 5;
const CACHE_OP_READ = 0;
const CACHE_RESULT_ACCESS = 0;

/**
 * PERF_TYPE_HW_CACHE config (id | op << 8 | result << 16) to the generic
 * event it counts here: last-level reads and branch-predictor reads only.
 */
function cacheToGeneric(config: bigint): number {
  const id = Number(config & 0xffn);
  const op = Number((config >> 8n) & 0xffn);
  const result = Number((config >> 16n) & 0xffn);
  if (id >= 7 || op >= 3 || result >= 2 || config >> 24n) return -Errno.EINVAL;
  if (op !== CACHE_OP_READ) return -Errno.ENOENT;
  if (id === CACHE_LL) return result === CACHE_RESULT_ACCESS ? PerfHwId.CACHE_REFERENCES : PerfHwId.CACHE_MISSES;
  if (id === CACHE_BPU) return result === CACHE_RESULT_ACCESS ? PerfHwId.BRANCH_INSTRUCTIONS : PerfHwId.BRANCH_MISSES;
  return -Errno.ENOENT;
}

function hwConfigWith(
  attr: PerfEventAttr,
  model: PmuModel,
  rawMask: bigint,
): { event: number; selector: bigint } | number {
  let selector: bigint | undefined;
  if (attr.type === PERF_TYPE_HARDWARE) {
    if (attr.config >= BigInt(PERF_COUNT_HW_MAX)) return -Errno.EINVAL;
    selector = genericEventSelector(model.vendor, Number(attr.config));
    if (selector === undefined) return -Errno.ENOENT;
  } else if (attr.type === PERF_TYPE_HW_CACHE) {
    const generic = cacheToGeneric(attr.config);
    if (generic < 0) return generic;
    selector = genericEventSelector(model.vendor, generic);
    if (selector === undefined) return -Errno.ENOENT;
  } else {
    selector = attr.config & rawMask;
  }
  return { event: decodeEventSelector(model.vendor, selector), selector };
}

function gpCounters(model: PmuModel): number[] {
  return Array.from({ length: model.gpCounters }, (_, i) => i);
}

function fixedFor(model: PmuModel, event: number): number[] {
  return model.fixed.filter((f) => f.event === event).map((f) => f.idx);
}

/** Intel's pseudo-encoding for fixed counter 2 (ref-cycles): it has no GP form. */
const INTEL_FIXED_REF_CYCLES = 0x0300n;

const x86Intel: CpuPmuArch = {
  name: 'cpu',
  types: [PERF_TYPE_HARDWARE, PERF_TYPE_HW_CACHE, PERF_TYPE_RAW],
  hwConfig: (attr, model) => hwConfigWith(attr, model, X86_RAW_EVENT_MASK),
  constraint(event: PerfEvent, model: PmuModel): readonly number[] {
    const selector = event.context as bigint;
    if (selector === INTEL_FIXED_REF_CYCLES) return fixedFor(model, HwEvent.REF_CYCLES);
    // Fixed counters count one unfiltered event: only plain selectors may use them.
    const plain = (selector & ~0xffffn) === 0n;
    const fixed = plain && event.hw.event !== HwEvent.REF_CYCLES ? fixedFor(model, event.hw.event) : [];
    return [...fixed, ...gpCounters(model)];
  },
  maxPeriod: (width) => 2 ** (width - 1) - 1,
};

const x86Amd: CpuPmuArch = {
  name: 'cpu',
  types: [PERF_TYPE_HARDWARE, PERF_TYPE_HW_CACHE, PERF_TYPE_RAW],
  hwConfig: (attr, model) => hwConfigWith(attr, model, AMD64_RAW_EVENT_MASK),
  constraint: (_event, model) => gpCounters(model),
  maxPeriod: (width) => 2 ** (width - 1) - 1,
};

const armv8Pmuv3: CpuPmuArch = {
  name: 'armv8_pmuv3_0',
  types: [PERF_TYPE_HARDWARE, PERF_TYPE_HW_CACHE, PERF_TYPE_RAW, ARMV8_PMU_TYPE],
  hwConfig(attr, model) {
    // armv8pmu_set_event_filter: the PMU cannot tell idle apart.
    if (attr.exclude_idle) return -Errno.EOPNOTSUPP;
    return hwConfigWith(attr, model, ARMV8_PMU_EVTYPE_EVENT);
  },
  constraint(event, model) {
    const cycle = event.hw.event === HwEvent.CYCLES ? [ARMV8_IDX_CYCLE_COUNTER] : [];
    return [...cycle, ...gpCounters(model)];
  },
  // armpmu_event_set_period programs at most half the counter's range.
  maxPeriod: (width) => 2 ** (width - 1) - 1,
};

export function cpuPmuArchFor(model: PmuModel): CpuPmuArch {
  if (model.arch === 'arm64') return armv8Pmuv3;
  return model.vendor === 'amd' ? x86Amd : x86Intel;
}

export { INTEL_PMC_IDX_FIXED };
