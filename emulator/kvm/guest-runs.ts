/**
 * A vCPU's stretches of guest mode (VM-entry to VM-exit), for the timeline.
 *
 * A busy guest exits thousands of times a second (timer MSR writes, RDPMC,
 * I/O), each exit handled in a few microseconds; one marker per entry would
 * bury the picture in noise and make a trace huge. Runs whose gap (the exit
 * handling between them) is shorter than GUEST_RUN_MERGE_NS on the same
 * physical CPU are merged: what stays is where the guest really was off the
 * CPU — halted, preempted by the host, paused, or in a long exit. Each run
 * keeps the reason of the exit that ended it and how many exits it absorbed.
 */

/** Gaps shorter than this (exit handling the guest hardly notices) do not end a run. */
export const GUEST_RUN_MERGE_NS = 100_000;

/** Ended by a stop of the vCPU thread with no exit handler run (host preemption, a pause). */
export const NO_EXIT_REASON = 'none';

export interface GuestRun {
  start: number;
  end: number;
  /** The physical CPU it ran on. */
  cpu: number;
  /** Exit reason that ended it (as the host architecture's perf kvm stat names it), or NO_EXIT_REASON. */
  reason: string;
  /** Exits merged into it (short gaps). */
  exits: number;
}

export class GuestRunLog {
  readonly runs: GuestRun[] = [];
  /** The run in progress or last stopped; closed once a long gap follows it. */
  private open: GuestRun | null = null;
  private inGuest = false;
  /** First exit reason handled since the last VM-exit. */
  private gapReason: string | null = null;

  /** VM-entry on `cpu`. */
  entry(cpu: number, now: number): void {
    const open = this.open;
    if (open && open.cpu === cpu && now - open.end < GUEST_RUN_MERGE_NS) {
      if (this.gapReason !== null) open.exits++;
    } else {
      this.close();
      this.open = { start: now, end: now, cpu, reason: NO_EXIT_REASON, exits: 0 };
    }
    this.gapReason = null;
    this.inGuest = true;
  }

  /** VM-exit (or the vCPU thread stopped in guest mode). */
  exit(now: number): void {
    if (!this.inGuest || !this.open) return;
    this.inGuest = false;
    this.open.end = now;
  }

  /** An exit handler ran: the first one after a VM-exit names the exit. */
  handled(reason: string): void {
    if (!this.inGuest) this.gapReason ??= reason;
  }

  /**
   * The runs that overlap [from, to], the open one cut at `to` (a recording
   * that ends while the guest runs). Closed runs are in time order.
   */
  between(from: number, to: number): GuestRun[] {
    const out = this.runs.filter((r) => r.end >= from && r.start <= to);
    const open = this.open;
    if (open && open.start <= to) {
      const end = this.inGuest ? to : Math.min(open.end, to);
      if (end >= from) out.push({ ...open, end, reason: this.inGuest ? NO_EXIT_REASON : (this.gapReason ?? NO_EXIT_REASON) });
    }
    return out;
  }

  private close(): void {
    const open = this.open;
    if (!open) return;
    open.reason = this.gapReason ?? NO_EXIT_REASON;
    this.runs.push(open);
    this.open = null;
  }
}
