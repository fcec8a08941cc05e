/**
 * The PMU hardware each architecture and vendor provides, as a description the
 * hardware model (hw/pmu.ts), the host perf driver (perf/cpu-pmu.ts) and, in
 * guests, the vPMU designs all read. Values follow the shared reference
 * (kernel-semantics.md, issue 4): Intel architectural perfmon v5 with full-width
 * writes, AMD with PerfMonV2, arm64 PMUv3.
 */
import type { Arch, Vendor } from '../scenario/types';
import { HwEvent } from './events';

/** Counter index space: GP/event counters 0.., arm64 PMCCNTR 31, x86 fixed 32.. */
export const ARMV8_IDX_CYCLE_COUNTER = 31;
export const INTEL_PMC_IDX_FIXED = 32;
export const MAX_COUNTER_IDX = 40;

export interface PmuModel {
  arch: Arch;
  vendor: Vendor;
  /** x86 perfmon version (CPUID 0xA) or arm64 PMUVer (3 = PMUv3, 5 = PMUv3p5...). */
  version: number;
  gpCounters: number;
  gpWidth: number;
  /** Fixed-function counters and what each counts (arm64: the cycle counter). */
  fixed: { idx: number; event: HwEvent; width: number }[];
  /** Highest attr.precise_ip the PMU accepts (PEBS on Intel; none modelled on AMD/arm64). */
  maxPrecise: number;
  fullWidthWrites: boolean;
  /** AMD's Host-only/Guest-only event-select bits (41/40). */
  hostGuestBits: boolean;
  /** How an overflow interrupts: x86 NMI through LVTPC, arm64 PPI 23. */
  pmi: { kind: 'nmi'; vector: 2 } | { kind: 'ppi'; intid: 23 };
  /** Core clock and constant reference clock, cycles per nanosecond. */
  cyclesPerNs: number;
  refCyclesPerNs: number;
}

const GHZ = 1;

export function pmuModelFor(
  arch: Arch,
  vendor: Vendor,
  overrides: { counters?: number | null; fixed?: number | null } = {},
): PmuModel {
  if (arch === 'arm64') {
    return {
      arch,
      vendor: 'arm',
      version: 3,
      gpCounters: overrides.counters ?? 6,
      gpWidth: 32,
      fixed: [{ idx: ARMV8_IDX_CYCLE_COUNTER, event: HwEvent.CYCLES, width: 64 }],
      maxPrecise: 0,
      fullWidthWrites: false,
      hostGuestBits: false,
      pmi: { kind: 'ppi', intid: 23 },
      cyclesPerNs: 2.5 * GHZ,
      refCyclesPerNs: 0,
    };
  }
  if (vendor === 'amd') {
    return {
      arch,
      vendor,
      version: 2,
      gpCounters: overrides.counters ?? 6,
      gpWidth: 48,
      fixed: [],
      maxPrecise: 0,
      fullWidthWrites: true,
      hostGuestBits: true,
      pmi: { kind: 'nmi', vector: 2 },
      cyclesPerNs: 3.2 * GHZ,
      refCyclesPerNs: 2.8 * GHZ,
    };
  }
  const fixedEvents = [HwEvent.INSTRUCTIONS, HwEvent.CYCLES, HwEvent.REF_CYCLES];
  return {
    arch,
    vendor: 'intel',
    version: 5,
    gpCounters: overrides.counters ?? 8,
    gpWidth: 48,
    fixed: fixedEvents
      .slice(0, overrides.fixed ?? 3)
      .map((event, i) => ({ idx: INTEL_PMC_IDX_FIXED + i, event, width: 48 })),
    maxPrecise: 3,
    fullWidthWrites: true,
    hostGuestBits: false,
    pmi: { kind: 'nmi', vector: 2 },
    cyclesPerNs: 3.0 * GHZ,
    refCyclesPerNs: 2.4 * GHZ,
  };
}
