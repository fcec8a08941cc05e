/**
 * The VM-exit table of a run: per VM, vCPU and exit reason, how many exits
 * and how long the host took to handle them, and how many of them the vPMU
 * caused. The profile model's `VmExitTable` is what traces carry.
 */
import type { VmExitRow, VmExitTable } from '../../profile/model';
import type { ExitReason } from './exits';
import type { Vcpu } from './vcpu';
import type { Vm } from './vm';

/**
 * Exit reasons only the vPMU designs raise in this emulator (counter reads,
 * PMU MSR reads, the paravirtual perf hypercall). MSR_WRITE is shared with
 * the guest's TSC-deadline timer, so its PMU share is what is left of the
 * vCPU's PMU-caused count once these are taken out.
 */
const PMU_ONLY: readonly ExitReason[] = ['RDPMC', 'MSR_READ', 'VMCALL'];

/** The exit rows of one vCPU; time of the MSR_WRITE share is prorated (both kinds cost alike). */
export function vcpuExitRows(vcpu: Vcpu, machine: number): VmExitRow[] {
  const pmuOnly = PMU_ONLY.reduce((n, r) => n + (vcpu.exits.get(r)?.count ?? 0), 0);
  const pmuWrites = Math.max(0, vcpu.pmuExits - pmuOnly);
  return [...vcpu.exits].map(([reason, s]) => {
    const pmuCount = PMU_ONLY.includes(reason) ? s.count : reason === 'MSR_WRITE' ? Math.min(s.count, pmuWrites) : 0;
    return {
      machine,
      vcpu: vcpu.index,
      reason,
      count: s.count,
      totalNs: s.totalNs,
      pmuCount,
      pmuNs: s.count > 0 ? (s.totalNs * pmuCount) / s.count : 0,
    };
  });
}

/** Every VM's exits; `machineOf` gives the profile's machine index of a VM. */
export function vmExitTable(vms: readonly Vm[], machineOf: (vm: Vm) => number, durationNs: number): VmExitTable {
  return { durationNs, rows: vms.flatMap((vm) => vm.vcpus.flatMap((v) => vcpuExitRows(v, machineOf(vm)))) };
}
