/**
 * The VM-exit table of a run: per VM, vCPU and exit reason, how many exits
 * and how long the host took to handle them, and how many of them the vPMU
 * caused. The profile model's `VmExitTable` is what traces carry.
 */
import type { VmExitRow, VmExitTable } from '../../profile/model';
import type { Vcpu } from './vcpu';
import type { Vm } from './vm';

/** The exit rows of one vCPU. */
export function vcpuExitRows(vcpu: Vcpu, machine: number): VmExitRow[] {
  return [...vcpu.exits].map(([reason, s]) => ({
    machine,
    vcpu: vcpu.index,
    reason,
    count: s.count,
    totalNs: s.totalNs,
    pmuCount: s.pmuCount,
    pmuNs: s.pmuNs,
  }));
}

/** Every VM's exits; `machineOf` gives the profile's machine index of a VM. */
export function vmExitTable(vms: readonly Vm[], machineOf: (vm: Vm) => number, durationNs: number): VmExitTable {
  return { durationNs, rows: vms.flatMap((vm) => vm.vcpus.flatMap((v) => vcpuExitRows(v, machineOf(vm)))) };
}
