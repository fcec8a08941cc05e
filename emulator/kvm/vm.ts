/**
 * A VM: the VMM process on the host (one thread per vCPU), the vPMU design it
 * was created with, and its guest — the guest kernel's threads placed on the
 * vCPUs and the guest's own perf core over the PMU the design gives it
 * (kvm/guest-perf.ts).
 */
import { ExecContext } from '../../profile/model';
import { ratesFor } from '../hw/cpu';
import type { Kernel } from '../os/kernel';
import { ProgramRunner } from '../os/program-runner';
import type { Task } from '../os/task';
import type { SymbolTable } from '../os/symbols';
import type { VmSpec } from '../scenario/types';
import type { Rng } from '../sim/random';
import type { CompiledProgram } from '../workload/walker';
import { ARM64_EXIT_FRAMES } from './arm64/exit-frames';
import type { GuestSpe } from './arm64/guest-spe';
import type { ArmVmPmuCtl } from './arm64/pmu-v3-ctrl';
import { ExitTags, X86_EXIT_FRAMES } from './exits';
import { GuestPerf } from './guest-perf';
import { Vcpu } from './vcpu';
import type { VpmuOps } from './vpmu/design';
import type { KvmX86PmuEventFilter } from './x86/event-filter';

/** Stop-and-copy downtime of a live migration: the guest does not run for this long. */
const MIGRATION_DOWNTIME_NS = 30_000_000;
const GUEST_CONTEXTS = { user: ExecContext.GuestUser, kernel: ExecContext.GuestKernel };
/** KVM's own code: short, branchy, cache-cold paths through the exit handlers. */
const KVM_RATES = { ipc: 0.8, branches: 0.2, branch_miss: 0.03, cache_refs: 0.02, cache_miss: 0.25 };

export class Vm {
  readonly vcpus: Vcpu[] = [];
  /** Torn down after a timeline stop. */
  destroyed = false;
  /** KVM_SET_PMU_EVENT_FILTER, as installed by the VMM (x86). */
  eventFilter: KvmX86PmuEventFilter | null = null;
  /** arm64: the vCPU PMU attributes as the VMM set them (the chosen PMU, N, the event filter). */
  armPmu: ArmVmPmuCtl | null = null;
  /** arm64 with spe: the guest's SPE buffers and what they recorded and lost. */
  spe: GuestSpe | null = null;
  private readonly tasks: Task[] = [];
  readonly pid: number;
  readonly guest: GuestPerf;
  /** Per-nanosecond rates of the host's exit-handling code. */
  readonly hostRates: Float64Array;
  private nextGuestPid = 300;

  constructor(
    readonly spec: VmSpec,
    readonly index: number,
    readonly vpmu: VpmuOps,
    readonly host: Kernel,
    private readonly symbols: SymbolTable,
  ) {
    this.pid = host.allocPid();
    this.hostRates = ratesFor(host.cpus[0].model, KVM_RATES, new Float64Array(7));
    this.guest = new GuestPerf(this, host);
  }

  get name(): string {
    return this.spec.name;
  }

  /** KVM_CREATE_VCPU for each vCPU, then the threads start (the VMM's KVM_RUN loops). */
  createVcpus(affinity: readonly number[], rng: Rng): void {
    const frames = this.host.cpus[0].model.arch === 'arm64' ? ARM64_EXIT_FRAMES : X86_EXIT_FRAMES;
    for (let i = 0; i < this.spec.vcpus; i++) {
      const task = this.host.spawnWith(
        `CPU ${i}/KVM`,
        this.pid,
        affinity,
        (pid, tid) => {
          const vcpu = new Vcpu(this, i, tid, new ExitTags(this.symbols, pid, tid, frames), rng.fork());
          this.vcpus.push(vcpu);
          return vcpu;
        },
        false,
      );
      this.tasks.push(task);
    }
    this.guest.start();
  }

  /** KVM_RUN on every vCPU: the threads start once the guest's threads are placed. */
  start(): void {
    for (const t of this.tasks) this.host.wake(t);
  }

  /** A guest workload thread, placed on a vCPU (its affinity's first choice, round robin). */
  addGuestThread(program: CompiledProgram, comm: string, cpus: readonly number[] | null, serial: number, rng: Rng): void {
    const allowed = cpus ?? this.vcpus.map((v) => v.index);
    const vcpu = this.vcpus[allowed[serial % allowed.length]];
    const pid = this.nextGuestPid++;
    const runner = new ProgramRunner(program, pid, pid, this.symbols, this.name, GUEST_CONTEXTS, this.host.cpus[0].model, rng);
    vcpu.threads.push({ runner, comm, wakeAt: 0 });
  }

  /**
   * A timeline action (scenario `timeline:`): the VMM stops the vCPUs
   * (pause, stop) or stops them for a migration's downtime, saves the vPMU
   * state and restores it on the other side: the designs that keep it in
   * registers KVM migrates carry on; the paravirtual one loses its host-side
   * events (VpmuOps.migrate).
   */
  act(action: 'migrate' | 'stop' | 'pause' | 'resume', now: number): { start: number; end: number } {
    const until = action === 'migrate' ? now + MIGRATION_DOWNTIME_NS : action === 'resume' ? 0 : Infinity;
    for (const v of this.vcpus) v.pausedUntil = until;
    if (action === 'migrate') this.vpmu.migrate?.(this);
    if (action === 'migrate') this.spe?.migrate();
    if (action === 'resume') for (const t of this.tasks) this.host.wakeIfSleeping(t);
    else for (const t of this.tasks) this.host.freeze(t.tid, until);
    return { start: now, end: Number.isFinite(until) ? Math.max(until, now) : now };
  }

  /** Guest pid → comm, for samples of the guest's own perf. */
  guestComm(pid: number): string | undefined {
    for (const v of this.vcpus) for (const t of v.threads) if (t.runner.pid === pid) return t.comm;
    return undefined;
  }
}
