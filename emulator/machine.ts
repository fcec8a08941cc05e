/**
 * A machine built from a scenario: the clock and event queue, the physical
 * CPUs with their PMUs, the kernel with the workloads' tasks, and the host's
 * perf core over the core PMU and the software PMU. It advances in steps
 * (`runUntil`), so a recording, the command line and a live session drive
 * the same object.
 */
import { Cpu } from './hw/cpu';
import { pmuModelFor, type PmuModel } from './hw/pmu-model';
import { Kvm } from './kvm/kvm';
import { Kernel } from './os/kernel';
import { SymbolTable } from './os/symbols';
import { startNmiWatchdog } from './os/watchdog';
import { PerfCore } from './perf/core';
import { CpuPmu } from './perf/cpu-pmu';
import { cpuPmuArchFor } from './perf/cpu-pmu-arch';
import { SwPmu } from './perf/sw-pmu';
import { defaultSysctl } from './perf/sysctl';
import type { Scenario, WorkloadSpec } from './scenario/types';
import { dispatch, EventQueue } from './sim/event-queue';
import { Rng } from './sim/random';
import { BUILTIN_PROGRAMS } from './workload/catalog';
import type { ProgramSpec } from './workload/program';
import { type CompiledProgram, compileProgram } from './workload/walker';

export class Machine {
  readonly queue = new EventQueue();
  readonly clock = { now: 0 };
  readonly model: PmuModel;
  readonly cpus: Cpu[];
  readonly symbols = new SymbolTable();
  readonly kernel: Kernel;
  readonly perf: PerfCore;
  readonly cpuPmu: CpuPmu;
  readonly swPmu: SwPmu;
  readonly kvm: Kvm;
  private readonly rng: Rng;
  private readonly programs = new Map<string, CompiledProgram>();

  constructor(readonly scenario: Scenario) {
    this.rng = new Rng(scenario.seed);
    const m = scenario.machine;
    this.model = pmuModelFor(m.arch, m.vendor, m.pmu);
    this.cpus = Array.from({ length: m.cpus }, (_, i) => new Cpu(i, this.model, this.queue));
    this.kernel = new Kernel(this.cpus, this.queue, this.symbols, this.clock);
    this.cpuPmu = new CpuPmu(cpuPmuArchFor(this.model), this.model, this.cpus);
    const kernel = this.kernel;
    this.swPmu = new SwPmu(
      {
        queue: this.queue,
        now: () => this.clock.now,
        cpuState: (cpu) => kernel.cpuState(cpu),
        overflow: (event, cpu, now) => this.perf.overflow(event, cpu, now),
      },
      m.cpus,
    );
    this.perf = new PerfCore(
      {
        queue: this.queue,
        nrCpus: m.cpus,
        now: () => this.clock.now,
        syncCpu: (cpu, now) => kernel.syncCpu(cpu, now),
        taskExists: (pid) => kernel.taskExists(pid),
        taskCpu: (tid) => kernel.taskCpu(tid),
        sampleRegs: (cpu, event, tag) => kernel.sampleRegs(cpu, event, tag),
      },
      [this.cpuPmu, this.swPmu],
      defaultSysctl(),
    );
    this.cpuPmu.host = this.perf;
    kernel.perf = this.perf;
    kernel.swPmu = this.swPmu;
    kernel.boot();
    if (m.nmi_watchdog) startNmiWatchdog(this.perf, this.model, m.cpus);
    // The VMs exist before the workloads start, as on a host where perf runs once they are up.
    this.kvm = new Kvm(kernel, this.perf, this.symbols, this.cpuPmu, scenario.kvm);
    for (const vm of scenario.vms) this.kvm.createVm(vm, (name) => this.program(name), this.rng.fork());
    for (const w of scenario.host.workloads) this.startWorkload(w);
    for (const a of scenario.timeline) this.queue.push(a.at, (now) => this.act(a.action, a.vm, now));
  }

  /** What the timeline did, as trace markers (migrations and pauses). */
  readonly timelineMarkers: { vm: string; action: string; start: number; end: number }[] = [];

  private act(action: 'migrate' | 'stop' | 'pause' | 'resume', vmName: string, now: number): void {
    const vm = this.kvm.vms.find((v) => v.name === vmName);
    if (!vm) return;
    const span = vm.act(action, now);
    // A stopped VM is torn down: KVM releases what it held (the mediated PMU's reference).
    if (action === 'stop') this.kvm.destroyVm(vm);
    this.timelineMarkers.push({ vm: vmName, action, ...span });
  }

  get now(): number {
    return this.clock.now;
  }

  /** Process every event due up to and including `time`, then stop there. */
  runUntil(time: number): void {
    const q = this.queue;
    while (q.peekTime() <= time) {
      const ev = q.pop();
      if (!ev) break;
      this.clock.now = ev.time;
      dispatch(ev);
    }
    this.clock.now = time;
    for (const cpu of this.cpus) cpu.sync(time);
  }

  private program(name: string): CompiledProgram {
    let p = this.programs.get(name);
    if (!p) {
      const spec: ProgramSpec | undefined =
        this.scenario.programs[name] ?? (BUILTIN_PROGRAMS as Record<string, ProgramSpec>)[name];
      if (!spec) throw new Error(`unknown program "${name}"`);
      p = compileProgram(spec, this.scenario.machine.arch);
      this.programs.set(name, p);
    }
    return p;
  }

  private startWorkload(w: WorkloadSpec): void {
    const program = this.program(w.program);
    const affinity = w.cpus ?? this.cpus.map((_, i) => i);
    const comm = w.comm ?? program.comm;
    let pid: number | null = null;
    for (let i = 0; i < w.threads; i++) {
      const task = this.kernel.spawn(program, comm, pid, affinity, this.rng.fork());
      pid ??= task.pid;
    }
  }
}
