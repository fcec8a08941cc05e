/** `guestperf scenarios`: the built-in scenarios, one line each. */
import { BUILTIN_SCENARIOS } from '../../../emulator/scenario/builtins';
import type { CliIo } from './io';

export const SCENARIOS_USAGE = `Usage: guestperf scenarios

Lists the built-in scenarios, one per line: name, then what it runs. Use one
with --scenario NAME in stat, record, compare and kvm-stat.
`;

export async function scenariosCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(SCENARIOS_USAGE);
    return 0;
  }
  if (argv.length > 0) {
    io.stderr.write(`guestperf scenarios: unexpected argument "${argv[0]}" (see guestperf scenarios --help)\n`);
    return 2;
  }
  const width = Math.max(...BUILTIN_SCENARIOS.map((s) => s.name.length)) + 2;
  io.stdout.write(BUILTIN_SCENARIOS.map((s) => `${s.name.padEnd(width)}${s.summary}\n`).join(''));
  return 0;
}
