/**
 * What the hardware can count, independent of how an architecture encodes it.
 * Ground truth is kept per HwEvent; each PMU model decodes its own event
 * selectors (hw/event-codes.ts) into these.
 */
export const HwEvent = {
  CYCLES: 0,
  INSTRUCTIONS: 1,
  /** Constant-rate reference cycles (TSC rate on x86; the arm64 model has none). */
  REF_CYCLES: 2,
  BRANCHES: 3,
  BRANCH_MISSES: 4,
  CACHE_REFERENCES: 5,
  CACHE_MISSES: 6,
} as const;
export type HwEvent = (typeof HwEvent)[keyof typeof HwEvent];
export const HW_EVENT_COUNT = 7;
export const HW_EVENT_NAMES = [
  'cycles',
  'instructions',
  'ref-cycles',
  'branches',
  'branch-misses',
  'cache-references',
  'cache-misses',
] as const;

/**
 * A decoded event selector: what the counter counts, or NONE for an encoding
 * the model accepts but that counts nothing here (an event it does not model,
 * as a real PMU counts some event the workload never causes).
 */
export const HW_EVENT_NONE = -1;
