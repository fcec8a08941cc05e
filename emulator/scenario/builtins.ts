/**
 * The built-in scenarios (`guestperf scenarios`, `--scenario NAME`). They are
 * YAML text, parsed by the same parser as users' files, so each one is also a
 * working example a user can copy and edit. Perf sessions come from the
 * command line, except the guest's own perf in `mediated`.
 */
import { parseScenario } from './parse';
import type { ParsedScenario } from './parse';

export interface BuiltinScenario {
  name: string;
  /** One line for `guestperf scenarios`. */
  summary: string;
  yaml: string;
}

export const BUILTIN_SCENARIOS: readonly BuiltinScenario[] = [
  {
    name: 'default',
    summary: 'x86_64 Intel host, 4 CPUs running compile, database and spin, and a 2-vCPU guest (emulated vPMU) serving web traffic',
    yaml: `format: 1
name: default
seed: 1
duration: 2s
machine:
  arch: x86_64
  vendor: intel
  cpus: 4
kvm:
  vpmu: emulated
host:
  workloads:
    - program: compile
      threads: 2
      cpus: [0, 1]
      comm: make
    - program: database
      cpus: [1, 2]
    - program: spin
      cpus: [3]
vms:
  - name: vm0
    vcpus: 2
    cpus: [2, 3]
    workloads:
      - program: webserver
        threads: 2
      - program: compile
        comm: cc1
`,
  },
  {
    name: 'mediated',
    summary: 'the mediated vPMU: a 2-vCPU guest counting with its own perf while host perf counts host-only (no NMI watchdog, which would make KVM refuse the VM)',
    yaml: `format: 1
name: mediated
seed: 7
duration: 1s
machine:
  arch: x86_64
  vendor: intel
  cpus: 4
  nmi_watchdog: false
kvm:
  vpmu: mediated
  enable_mediated_pmu: true   # kvm-intel's module parameter (default N): without it there is no mediated vPMU
host:
  workloads:
    - program: compile
      threads: 2
      cpus: [0, 1]
      comm: make
    - program: spin
      cpus: [3]
vms:
  - name: vm0
    vcpus: 2
    cpus: [2, 3]
    workloads:
      - program: spin
        cpus: [0]
      - program: webserver
        cpus: [1]
perf:
  - on: vm0
    run: record -a -F 1000 -e cycles,instructions
`,
  },
  {
    name: 'spin',
    summary: 'one spin thread on a 1-CPU x86_64 host: the simplest ground truth to check counts against',
    yaml: `format: 1
name: spin
duration: 1s
machine:
  arch: x86_64
  cpus: 1
host:
  workloads:
    - program: spin
`,
  },
  {
    name: 'multiplex',
    summary: 'spin on 2 CPUs with 4 general-purpose counters: stat more events than that to see multiplexing',
    yaml: `format: 1
name: multiplex
duration: 1s
machine:
  arch: x86_64
  cpus: 2
  pmu:
    counters: 4
host:
  workloads:
    - program: spin
      threads: 2
`,
  },
  {
    name: 'arm64-host',
    summary: 'arm64 host (PMUv3, SPE on CPUs 0-1), 4 CPUs running compile, webserver, database and spin',
    yaml: `format: 1
name: arm64-host
duration: 1s
machine:
  arch: arm64
  cpus: 4
  pmu:
    spe: [0, 1]
host:
  workloads:
    - program: compile
      threads: 2
      cpus: [0, 1]
      comm: make
    - program: webserver
      cpus: [2]
    - program: database
      cpus: [3]
    - program: spin
`,
  },
  {
    name: 'amd-host',
    summary: 'x86_64 AMD host (6 counters, no fixed ones), 4 CPUs running compile, webserver, database and spin',
    yaml: `format: 1
name: amd-host
duration: 1s
machine:
  arch: x86_64
  vendor: amd
  cpus: 4
host:
  workloads:
    - program: compile
      threads: 2
      cpus: [0, 1]
      comm: make
    - program: webserver
      cpus: [2]
    - program: database
      cpus: [3]
    - program: spin
`,
  },
];

/** The named built-in scenario, parsed; undefined when there is none by that name. */
export function loadBuiltinScenario(name: string): ParsedScenario | undefined {
  const builtin = BUILTIN_SCENARIOS.find((candidate) => candidate.name === name);
  return builtin && parseScenario(builtin.yaml, `${builtin.name}.yaml`);
}
