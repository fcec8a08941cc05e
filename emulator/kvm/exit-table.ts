/**
 * The VM-exit table of a run: per VM, vCPU and exit reason, how many exits
 * and how long the host took to handle them, and how many of them the vPMU
 * caused. The profile model's `VmExitTable` is what traces carry.
 */
import type { VmExitRow, VmExitTable } from '../../profile/model';
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

/** Every VM's exits; `machineOf` gives the profile's machine index of a VM. */
export function vmExitTable(vms: readonly Vm[], machineOf: (vm: Vm) => number, durationNs: number): VmExitTable {
  return { durationNs, rows: vms.flatMap((vm) => vm.vcpus.flatMap((v) => vcpuExitRows(v, machineOf(vm)))) };
}
