/**
 * `guestperf record`: perf record on the emulated machine, written as a
 * native trace (the window opens it; `guestperf report|script` read it).
 */
import { formatById } from '../../../profile/formats/registry';
import { runRecord } from '../../../emulator/session';
import { writeTrace } from '../../files/trace-io';
import { CommandError, errnoText, runReporting } from './io';
import type { CliIo } from './io';
import { loadScenarioOptions, perfOptions, runEmulator, SCENARIO_OPTIONS_HELP } from './scenario-options';
import { writeBackground } from './stat';

export const RECORD_USAGE = `Usage: guestperf record [scenario options] [-e EVENTS]... [-F HZ | -c PERIOD] [-g] [-a] -o FILE

Samples while the scenario runs, as perf record does, and writes a trace in
guestperf's native format: samples tagged by execution context, a counter
track per event and the ground truth per hardware event, and markers for
throttling, lost records and events in ERROR. Default event: cycles:P at 4000 Hz.

  -e, --event EVENTS      events in perf's syntax
  -F, --freq HZ           sampling frequency (default 4000)
  -c, --count PERIOD      sample every PERIOD events instead
  -g                      record callchains
  -a, --all-cpus          system-wide (the default without -C, -p or -t)
  -C, --cpu CPUS          only these CPUs
  -p, --pid PID           one process; -t, --tid TID: one thread
  -m, --mmap-pages N      data pages per ring buffer (a power of two, default 128)
  -o, --output FILE       the trace to write (required)
  -h, --help              this text

${SCENARIO_OPTIONS_HELP}`;

export async function recordCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(RECORD_USAGE);
    return 0;
  }
  return runReporting('record', io, async () => {
    const loaded = await loadScenarioOptions(argv);
    const options = perfOptions('record', loaded.rest);
    if (options.output === null) throw new CommandError('-o FILE is required (see guestperf record --help)');
    const result = runEmulator(io, () => runRecord(loaded.scenario, options, loaded.text, loaded.on));
    if (!result) return 2;
    const failed = result.profile.events.length === 0 || result.samples === 0;
    const native = formatById('guestperf');
    if (!native) throw new Error('native format missing from the registry');
    try {
      await writeTrace(options.output, result.profile, native);
    } catch (e) {
      throw new CommandError(`cannot write ${options.output}: ${errnoText(e as NodeJS.ErrnoException)}`);
    }
    await writeBackground(io, result.background);
    if (result.lost > 0) io.stderr.write(`Processed ${result.samples} samples and lost ${result.lost} records!\n`);
    io.stderr.write(`[ perf record: Captured and wrote ${options.output} (${result.samples} samples) ]\n`);
    return failed ? 1 : 0;
  });
}
