/**
 * How late a vCPU's virtual PMIs reach the guest and where they land: for
 * each injected PMI, the time from the first overflow it carries to its
 * injection at VM-entry, and whether the guest code at injection (what the
 * guest's perf samples) is still the code the counter overflowed in.
 */
import type { ExecTag } from '../os/burst-source';

export class PmiSkidLog {
  /** Ns from overflow to injection, one entry per injected PMI. */
  readonly latencyNs: number[] = [];
  /** Injected PMIs whose sample lands in other guest code than the overflow. */
  misattributed = 0;
  private raisedAt = -1;
  private raisedTag: ExecTag | null = null;

  /** An overflow requested a PMI; later ones before the injection ride on the same PMI. */
  raise(now: number, tag: ExecTag | null): void {
    if (this.raisedAt >= 0) return;
    this.raisedAt = now;
    this.raisedTag = tag;
  }

  inject(now: number, tag: ExecTag | null): void {
    if (this.raisedAt < 0) return;
    this.latencyNs.push(now - this.raisedAt);
    if (tag !== this.raisedTag) this.misattributed++;
    this.raisedAt = -1;
    this.raisedTag = null;
  }
}
