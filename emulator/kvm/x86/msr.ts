/**
 * x86 performance-monitoring MSR numbers and event-select bits, by the names
 * the kernel gives them (arch/x86/include/asm/msr-index.h, perf_event.h), so
 * the vPMU register surface (vpmu-regs.ts) reads like KVM's pmu_intel.c and
 * svm/pmu.c. Numbers are MSR indices (ECX of RDMSR/WRMSR); bits are bigints
 * because event selectors are 64-bit registers.
 */

// Intel architectural perfmon (SDM vol. 3B ch. 20).
/** IA32_PERFEVTSEL0; GP selector n is +n. */
export const MSR_P6_EVNTSEL0 = 0x186;
/** IA32_PMC0, the legacy counter alias: writes take 32 bits, sign-extended. */
export const MSR_IA32_PERFCTR0 = 0xc1;
/** IA32_A_PMC0, the full-width alias (PERF_CAPABILITIES.FW_WRITES). */
export const MSR_IA32_PMC0 = 0x4c1;
/** MSR_IA32_PMC0 - MSR_IA32_PERFCTR0: how KVM tells the two aliases apart. */
export const MSR_PMC_FULL_WIDTH_BIT = MSR_IA32_PMC0 - MSR_IA32_PERFCTR0;
/** IA32_FIXED_CTR0; fixed counter n is +n. */
export const MSR_CORE_PERF_FIXED_CTR0 = 0x309;
export const MSR_CORE_PERF_FIXED_CTR_CTRL = 0x38d;
export const MSR_CORE_PERF_GLOBAL_STATUS = 0x38e;
export const MSR_CORE_PERF_GLOBAL_CTRL = 0x38f;
export const MSR_CORE_PERF_GLOBAL_OVF_CTRL = 0x390;

// AMD (APM vol. 2 §13.2): legacy K7 block of 4, PerfCtrExtCore block of 6
// interleaved CTL/CTR pairs, PerfMonV2 global registers.
export const MSR_K7_EVNTSEL0 = 0xc0010000;
export const MSR_K7_PERFCTR0 = 0xc0010004;
/** Legacy K7 block size (AMD64_NUM_COUNTERS). */
export const AMD64_NUM_COUNTERS = 4;
/** PERF_CTL0; PERF_CTLn = +2n, PERF_CTRn = +2n+1. */
export const MSR_F15H_PERF_CTL0 = 0xc0010200;
export const MSR_F15H_PERF_CTR0 = 0xc0010201;
/** Counters the F15H block addresses (AMD64_NUM_COUNTERS_CORE). */
export const AMD64_NUM_COUNTERS_CORE = 6;
export const MSR_AMD64_PERF_CNTR_GLOBAL_STATUS = 0xc0000300;
export const MSR_AMD64_PERF_CNTR_GLOBAL_CTL = 0xc0000301;
export const MSR_AMD64_PERF_CNTR_GLOBAL_STATUS_CLR = 0xc0000302;

// PERFEVTSEL / PERF_CTL bits.
export const ARCH_PERFMON_EVENTSEL_EVENT = 0xffn;
export const ARCH_PERFMON_EVENTSEL_UMASK = 0xffn << 8n;
export const ARCH_PERFMON_EVENTSEL_USR = 1n << 16n;
export const ARCH_PERFMON_EVENTSEL_OS = 1n << 17n;
export const ARCH_PERFMON_EVENTSEL_EDGE = 1n << 18n;
export const ARCH_PERFMON_EVENTSEL_INT = 1n << 20n;
export const ARCH_PERFMON_EVENTSEL_ANY = 1n << 21n;
export const ARCH_PERFMON_EVENTSEL_ENABLE = 1n << 22n;
export const ARCH_PERFMON_EVENTSEL_INV = 1n << 23n;
export const ARCH_PERFMON_EVENTSEL_CMASK = 0xffn << 24n;
/** AMD's event select is 12 bits: 7:0 here plus 11:8 in bits 35:32. */
export const AMD64_EVENTSEL_EVENT = ARCH_PERFMON_EVENTSEL_EVENT | (0xfn << 32n);
export const AMD64_EVENTSEL_GUESTONLY = 1n << 40n;
export const AMD64_EVENTSEL_HOSTONLY = 1n << 41n;

/** What a selector counts (not where or whether): the part KVM copies into a RAW attr config. */
export const X86_RAW_EVENT_MASK =
  ARCH_PERFMON_EVENTSEL_EVENT |
  ARCH_PERFMON_EVENTSEL_UMASK |
  ARCH_PERFMON_EVENTSEL_EDGE |
  ARCH_PERFMON_EVENTSEL_INV |
  ARCH_PERFMON_EVENTSEL_CMASK;
export const AMD64_RAW_EVENT_MASK = X86_RAW_EVENT_MASK | AMD64_EVENTSEL_EVENT;

// IA32_FIXED_CTR_CTRL: one 4-bit field per fixed counter.
export const INTEL_FIXED_0_KERNEL = 1n << 0n;
export const INTEL_FIXED_0_USER = 1n << 1n;
export const INTEL_FIXED_0_ANYTHREAD = 1n << 2n;
export const INTEL_FIXED_0_ENABLE_PMI = 1n << 3n;
export const INTEL_FIXED_BITS_STRIDE = 4n;

/** The 4-bit FIXED_CTR_CTRL field of fixed counter `i` (fixed_ctrl_field). */
export function fixed_ctrl_field(fixed_ctr_ctrl: bigint, i: number): bigint {
  return (fixed_ctr_ctrl >> (BigInt(i) * INTEL_FIXED_BITS_STRIDE)) & 0xfn;
}

// GLOBAL_STATUS bits beyond the per-counter ones that exist on every v2+ PMU.
export const MSR_CORE_PERF_GLOBAL_OVF_CTRL_OVF_BUF = 1n << 62n;
export const MSR_CORE_PERF_GLOBAL_OVF_CTRL_COND_CHGD = 1n << 63n;
