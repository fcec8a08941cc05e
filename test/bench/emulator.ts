/**
 * Emulator speed: simulated seconds per wall second of `record -a -g -F HZ`
 * on a built-in scenario, and how the cost grows with CPUs and sample rate.
 *
 *   npx tsx test/bench/emulator.ts [--duration 10] [--runs 5]
 *
 * The default scenario runs a 2-vCPU guest beside the host's workloads: it is
 * recorded from the host, and from inside the guest with the guest's own
 * perf (--on vm0 record -a -g) under each x86 vPMU design (the guest's mix
 * is webserver and spin there). The CPU-count rows are host-only.
 *
 * Each configuration runs --runs times in a fresh child process (so peak RSS
 * is its own), timing runRecord from machine build to finished profile.
 * Prints the median rate and peak RSS per configuration; asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parsePerfCommand, type RecordOptions } from '../../emulator/perf-tool/cmdline';
import { loadBuiltinScenario } from '../../emulator/scenario/builtins';
import type { VpmuDesign } from '../../emulator/scenario/types';
import { runRecord } from '../../emulator/session';
import { arg, median } from './util';

interface Result {
  simSeconds: number;
  wallSeconds: number;
  samples: number;
  maxRssMiB: number;
}

/** One run in this process: --child CPUS HZ DURATION [VPMU]. */
function child(cpus: number, hz: number, duration: number, vpmu?: VpmuDesign): Result {
  const base = loadBuiltinScenario('default');
  if (!base) throw new Error('no default scenario');
  const scenario = structuredClone(base.scenario);
  scenario.duration = duration * 1e9;
  if (cpus !== scenario.machine.cpus) {
    // The default's host mix, spread over `cpus` CPUs: one workload per CPU, round robin; no guest.
    scenario.vms = [];
    const mix = scenario.host.workloads;
    scenario.machine.cpus = cpus;
    scenario.host.workloads = Array.from({ length: cpus }, (_, i) => ({ ...mix[i % mix.length], cpus: [i], threads: 1 }));
  }
  if (vpmu) {
    // The NMI watchdog would make a mediated vCPU fail EBUSY; off for every design alike.
    scenario.machine.nmi_watchdog = false;
    scenario.kvm.enable_mediated_pmu = vpmu === 'mediated';
    scenario.vms = [
      {
        name: 'vm0',
        vcpus: 2,
        vpmu,
        cpus: [2, 3],
        spe: false,
        irqchip: 'kernel',
        pmu_event_filter: null,
        workloads: [
          { program: 'webserver', threads: 2, cpus: null, comm: null },
          { program: 'spin', threads: 1, cpus: null, comm: null },
        ],
      },
    ];
  }
  const options = parsePerfCommand(['record', '-a', '-g', '-F', String(hz)]) as RecordOptions;
  const t0 = performance.now();
  const r = runRecord(scenario, options, '', vpmu ? 'vm0' : undefined);
  const wall = (performance.now() - t0) / 1000;
  return { simSeconds: duration, wallSeconds: wall, samples: r.samples, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
}

function runChild(cpus: number, hz: number, duration: number, vpmu?: string): Result {
  const args = ['--child', String(cpus), String(hz), String(duration), ...(vpmu ? [vpmu] : [])];
  const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as Result;
}

if (process.argv.includes('--child')) {
  const i = process.argv.indexOf('--child');
  const [cpus, hz, duration] = process.argv.slice(i + 1, i + 4).map(Number);
  process.stdout.write(JSON.stringify(child(cpus, hz, duration, process.argv[i + 4] as VpmuDesign | undefined)));
} else {
  const duration = Number(arg('--duration', '10'));
  const runs = Number(arg('--runs', '5'));
  const configs: [string, number, number, string?][] = [
    ['default, host -F 4000', 4, 4000],
    ['default, in the guest, emulated', 4, 4000, 'emulated'],
    ['default, in the guest, mediated', 4, 4000, 'mediated'],
    ['host only, 1 CPU, -F 4000', 1, 4000],
    ['host only, 2 CPUs, -F 4000', 2, 4000],
    ['host only, 8 CPUs, -F 4000', 8, 4000],
    ['default, host -F 1000', 4, 1000],
    ['default, host -F 16000', 4, 16000],
  ];
  console.log(`record -a -g (host, or --on vm0 in the guest), ${duration} simulated s per run, ${runs} runs per configuration (medians)`);
  for (const [name, cpus, hz, vpmu] of configs) {
    const results = Array.from({ length: runs }, () => runChild(cpus, hz, duration, vpmu));
    const rate = median(results.map((r) => r.simSeconds / r.wallSeconds));
    const wallPerSample = median(results.map((r) => (r.wallSeconds * 1e6) / r.samples));
    console.log(
      `${name.padEnd(34)} ${rate.toFixed(1).padStart(6)} sim s/wall s  ${median(results.map((r) => r.samples)).toFixed(0).padStart(8)} samples` +
        `  ${wallPerSample.toFixed(2)} µs/sample  peak RSS ${median(results.map((r) => r.maxRssMiB)).toFixed(0)} MiB`,
    );
  }
}
