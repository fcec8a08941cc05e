/**
 * `guestperf script FILE`: any readable trace printed as `perf script` text,
 * streamed from the perf script exporter (guest samples with VM:/VCPU:).
 */
import { exportPerfScript } from '../../../profile/formats/perf-script';
import { parseArgs } from '../args';
import { readProfile } from './convert';
import { CommandError, runReporting, writeChunks } from './io';
import type { CliIo } from './io';

export const SCRIPT_USAGE = `Usage: guestperf script FILE

Prints a trace (any format guestperf reads) as perf script text: one event
line per sample ("comm pid/tid [cpu] time: period event:"), guest samples
with perf's VM:/VCPU: fields, then the callchain leaf first.

  -h, --help          this text
`;

const SPECS = [{ name: 'help', short: 'h' }];

export async function scriptCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(argv, SPECS);
  if (!parsed.ok) {
    io.stderr.write(`guestperf script: ${parsed.error} (see guestperf script --help)\n`);
    return 2;
  }
  if (parsed.args.flags.has('help')) {
    io.stdout.write(SCRIPT_USAGE);
    return 0;
  }
  return runReporting('script', io, async () => {
    const { positionals } = parsed.args;
    if (positionals.length !== 1) {
      throw new CommandError(`one input file expected, got ${positionals.length} (see guestperf script --help)`);
    }
    const profile = await readProfile(positionals[0]);
    await writeChunks(io.stdout, exportPerfScript(profile));
    return 0;
  });
}
