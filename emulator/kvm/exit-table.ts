/**
 * The VM-exit table of a run: per VM, vCPU and exit reason, how many exits
 * and how long the host took to handle them, and how many of them the vPMU
 * caused. The profile model's `VmExitTable` is what traces carry, with the
 * running totals that let the window count the exits of a time range.
 */
import type { VmExitRow, VmExitTable } from '../../profile/model';
import type { EventQueue } from '../sim/event-queue';
import type { Vcpu } from './vcpu';
import type { Vm } from './vm';

/** The exit rows of one vCPU, one per exit name of its architecture (exits.ts ExitFrames.exitName). */
export function vcpuExitRows(vcpu: Vcpu, machine: number): VmExitRow[] {
  const rows = new Map<string, VmExitRow>();
  for (const [reason, s] of vcpu.exits) {
    const name = vcpu.tags.frames.exitName(reason);
    const row = rows.get(name) ?? { machine, vcpu: vcpu.index, reason: name, count: 0, totalNs: 0, pmuCount: 0, pmuNs: 0 };
    row.count += s.count;
    row.totalNs += s.totalNs;
    row.pmuCount += s.pmuCount;
    row.pmuNs += s.pmuNs;
    rows.set(name, row);
  }
  return [...rows.values()];
}

/** The step between a recording's exit totals: the recorder's poll, or 1/256 of a long run. */
export function exitTimelineStep(durationNs: number): number {
  return Math.max(10_000_000, Math.ceil(durationNs / 256));
}

/**
 * Every VM's exit totals as a recording goes, taken every `stepNs` on the
 * machine's event queue (reading them changes nothing the run does), so the
 * trace can tell the exits of any time range: the table's timeline. Rows
 * count from `start`, not from the VMs' creation.
 */
export class ExitTimeline {
  private readonly time: number[] = [];
  /** Per time point: each row's running totals (vcpuExitRows), keyed by VM, vCPU and reason. */
  private readonly totals: Map<string, { vm: Vm; row: VmExitRow }>[] = [];
  private running = false;
  private sawVm = false;

  constructor(
    private readonly queue: EventQueue,
    private readonly vms: () => readonly Vm[],
    private readonly stepNs: number,
  ) {}

  start(now: number): void {
    this.running = true;
    this.take(now);
    this.schedule(now + this.stepNs);
  }

  stop(now: number): void {
    if (!this.running) return;
    this.running = false;
    if (now > this.time[this.time.length - 1]) this.take(now);
  }

  /** The table over [start, stop] (null when no VM ran); `machineOf` gives the profile's machine index of a VM. */
  table(machineOf: (vm: Vm) => number): VmExitTable | null {
    if (!this.sawVm) return null;
    const first = this.totals[0] ?? new Map();
    const last = this.totals[this.totals.length - 1] ?? new Map();
    // Rows in the order the last totals list them (every row seen is in it: totals only grow).
    const keys = [...last.keys()].filter((k) => last.get(k)!.row.count > (first.get(k)?.row.count ?? 0));
    const since = (at: Map<string, { row: VmExitRow }>, k: string, f: 'count' | 'totalNs' | 'pmuCount' | 'pmuNs') =>
      (at.get(k)?.row[f] ?? 0) - (first.get(k)?.row[f] ?? 0);
    const column = (f: 'count' | 'totalNs' | 'pmuCount' | 'pmuNs') => keys.map((k) => this.totals.map((at) => since(at, k, f)));
    const rows = keys.map((k) => {
      const { vm, row } = last.get(k)!;
      return { ...row, machine: machineOf(vm), count: since(last, k, 'count'), totalNs: since(last, k, 'totalNs'), pmuCount: since(last, k, 'pmuCount'), pmuNs: since(last, k, 'pmuNs') };
    });
    const durationNs = this.time.length > 0 ? this.time[this.time.length - 1] - this.time[0] : 0;
    return {
      durationNs,
      rows,
      timeline: { time: [...this.time], count: column('count'), totalNs: column('totalNs'), pmuCount: column('pmuCount'), pmuNs: column('pmuNs') },
    };
  }

  private schedule(at: number): void {
    this.queue.push(at, (now) => {
      if (!this.running) return;
      this.take(now);
      this.schedule(now + this.stepNs);
    });
  }

  private take(now: number): void {
    const at = new Map<string, { vm: Vm; row: VmExitRow }>();
    const vms = this.vms();
    if (vms.length > 0) this.sawVm = true;
    vms.forEach((vm, i) => {
      for (const v of vm.vcpus) for (const row of vcpuExitRows(v, -1)) at.set(`${i}/${v.index}/${row.reason}`, { vm, row });
    });
    this.time.push(now);
    this.totals.push(at);
  }
}
