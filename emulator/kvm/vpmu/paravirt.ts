/**
 * The 2010 paravirtual perf interface (Zhang Yanmin's KVM_PERF_OP hypercall,
 * not merged): the guest's perf asks the host over hypercalls (OPEN, ENABLE,
 * DISABLE, CLOSE; READ) to run perf events for it, and reads counts and
 * overflows from a page the host writes. Cheap accesses — a hypercall where
 * trap-and-emulate takes an MSR exit, and no exit at all to read — but the
 * state lives in host perf events the guest only holds handles to, which is
 * what its reviewers objected to: the ABI never said what a migration does,
 * and on the other side the events are simply gone.
 */
import { cpuPmuArchFor } from '../../perf/cpu-pmu-arch';
import type { PerfCore } from '../../perf/core';
import type { Kernel } from '../../os/kernel';
import type { Vm } from '../vm';
import type { VpmuOps } from './design';
import { BackedGuestPmu } from './emulated';

export function paravirtVpmu(hostPerf: PerfCore, kernel: Kernel): VpmuOps {
  return {
    design: 'paravirt',
    createGuestPmu: (vm) =>
      new BackedGuestPmu(vm, cpuPmuArchFor(kernel.cpus[0].model), hostPerf, kernel, {
        // KVM_PERF_OP OPEN then ENABLE.
        program: ['VMCALL', 2],
        disable: ['VMCALL', 1],
        // Counts come from the shared page the host keeps up to date.
        read: null,
        rearm: null,
      }),
    load: () => undefined,
    put: () => undefined,
    trapsCounterReads: false,
    switchCostNs: 0,
    migrate: (vm: Vm) => (vm.guest.hwPmu as BackedGuestPmu | null)?.dropBacking(),
  };
}
