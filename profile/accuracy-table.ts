/**
 * The vPMU accuracy-and-cost table of a design-comparison trace: per design
 * and event, what the guest counted against the truth, and per design what
 * it cost the host (VM-exits, PMU-caused exits and their handling time).
 * The comparison itself is computed in the emulator (emulator/compare-trace.ts).
 */
import type { DesignComparisonRow, Profile } from './model';

export interface AccuracyRow extends DesignComparisonRow {
  /** |error %|, for sorting and the "large error" mark; null when not comparable. */
  absError: number | null;
  /** The guest's count is missing (`<not counted>` or `<not supported>`). */
  notCounted: boolean;
}

export interface AccuracyTable {
  vm: string;
  designs: string[];
  events: string[];
  rows: AccuracyRow[];
}

/** An error beyond this is marked as large (perf's own multiplexing estimates stay well inside it). */
export const LARGE_ERROR_PCT = 5;

/** The table, or null when the trace does not compare designs. */
export function accuracyTable(profile: Profile): AccuracyTable | null {
  const c = profile.designComparison;
  if (!c || c.rows.length === 0) return null;
  const rows = c.rows.map((r) => ({
    ...r,
    absError: r.errorPct === null ? null : Math.abs(r.errorPct),
    notCounted: r.guestValue === null,
  }));
  return {
    vm: c.vm,
    designs: [...new Set(rows.map((r) => r.design))],
    events: [...new Set(rows.map((r) => r.event))],
    rows,
  };
}
