/**
 * The `guestperf` subcommands (docs: shared reference cli.md), each with its
 * usage text and its runner.
 */
import { COLLAPSE_USAGE, collapseCommand } from './collapse';
import { COMPARE_USAGE, compareCommand } from './compare';
import { CONVERT_USAGE, convertCommand } from './convert';
import { KVM_STAT_USAGE, kvmStatCommand } from './kvm-stat';
import { RECORD_USAGE, recordCommand } from './record';
import { REPORT_USAGE, reportCommand } from './report';
import { SCENARIOS_USAGE, scenariosCommand } from './scenarios';
import { STAT_USAGE, statCommand } from './stat';
import { SCRIPT_USAGE, scriptCommand } from './script';
import type { CliIo } from './io';

export type { CliIo } from './io';

interface Command {
  name: string;
  summary: string;
  usage: string;
  run: (argv: readonly string[], io: CliIo) => Promise<number>;
}

const COMMANDS: readonly Command[] = [
  {
    name: 'stat',
    summary: 'count events while a scenario runs, as perf stat does',
    usage: STAT_USAGE,
    run: statCommand,
  },
  {
    name: 'record',
    summary: 'sample while a scenario runs, into a trace file',
    usage: RECORD_USAGE,
    run: recordCommand,
  },
  {
    name: 'report',
    summary: 'top functions of a trace, split by execution context',
    usage: REPORT_USAGE,
    run: reportCommand,
  },
  {
    name: 'script',
    summary: 'print a trace as perf script text (guest samples with VM:/VCPU:)',
    usage: SCRIPT_USAGE,
    run: scriptCommand,
  },
  {
    name: 'collapse',
    summary: 'fold perf script text into folded stacks (stackcollapse-perf.pl compatible)',
    usage: COLLAPSE_USAGE,
    run: collapseCommand,
  },
  {
    name: 'convert',
    summary: 'convert a trace between formats',
    usage: CONVERT_USAGE,
    run: convertCommand,
  },
  {
    name: 'compare',
    summary: 'run one scenario per vPMU design and compare the counts',
    usage: COMPARE_USAGE,
    run: compareCommand,
  },
  {
    name: 'kvm-stat',
    summary: 'VM-exit analysis, as perf kvm stat report',
    usage: KVM_STAT_USAGE,
    run: kvmStatCommand,
  },
  { name: 'scenarios', summary: 'list the built-in scenarios', usage: SCENARIOS_USAGE, run: scenariosCommand },
];

export function mainUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
  return (
    'Usage: guestperf <command> [options]\n\n' +
    'A profiler for virtual machines that keeps host, guest and hypervisor apart.\n\n' +
    'Commands:\n' +
    rows.join('\n') +
    '\n\nRun "guestperf <command> --help" for the options of one command.\n' +
    'Exit status: 0 success, 1 the perf session failed, 2 bad arguments or unreadable input.\n'
  );
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(topic ? usageOf(topic) : mainUsage());
    if (name === undefined) return 2;
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write('guestperf 0.1.0\n');
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`guestperf: unknown command "${name}" (run guestperf --help for the list)\n`);
    return 2;
  }
  return command.run(rest, io);
}

function usageOf(c: Command): string {
  return c.usage.endsWith('\n') ? c.usage : c.usage + '\n';
}
