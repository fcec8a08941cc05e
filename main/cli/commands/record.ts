/**
 * `guestperf record`: perf record on the emulated machine, written as a
 * native trace (the window opens it; `guestperf report|script` read it).
 */
import { formatById } from '../../../profile/formats/registry';
import type { EventInfo } from '../../../profile/model';
import { runRecord } from '../../../emulator/session';
import { writeTrace } from '../../files/trace-io';
import { CommandError, errnoText, runReporting } from './io';
import type { CliIo } from './io';
import { loadScenarioOptions, perfOptions, runEmulator, SCENARIO_OPTIONS_HELP } from './scenario-options';
import { writeBackground } from './stat';

export const RECORD_USAGE = `Usage: guestperf record [scenario options] [-e EVENTS]... [-F HZ | -c PERIOD] [-g] [-a] [-o FILE]

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
  -o, --output FILE       the trace to write; without it, named as perf kvm record
                          names its file: perf.data.guest (guest samples only:
                          --on VM, or every event :G), perf.data.host (every
                          event :H), perf.data.kvm (both); perf.data without VMs
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
    const result = runEmulator(io, () => runRecord(loaded.scenario, options, loaded.text, loaded.on));
    if (!result) return 2;
    const output = options.output ?? kvmRecordOutput(result.profile.events, loaded.on, loaded.scenario.vms.length);
    const failed = result.profile.events.length === 0 || result.samples === 0;
    const native = formatById('guestperf');
    if (!native) throw new Error('native format missing from the registry');
    try {
      await writeTrace(output, result.profile, native);
    } catch (e) {
      throw new CommandError(`cannot write ${output}: ${errnoText(e as NodeJS.ErrnoException)}`);
    }
    await writeBackground(io, result.background);
    if (result.lost > 0) io.stderr.write(`Processed ${result.samples} samples and lost ${result.lost} records!\n`);
    io.stderr.write(`[ perf record: Captured and wrote ${output} (${result.samples} samples) ]\n`);
    return failed ? 1 : 0;
  });
}

/**
 * The file `perf kvm record` would write for what this recording samples
 * (checklist 78, perf-kvm.txt): perf.data.guest by default (guest only),
 * perf.data.kvm with --host (host and guest), perf.data.host with --host
 * --no-guest. Here the events' exclude bits say which, after any fallback
 * (a mediated host's cycles becomes cycles:H); the guest's own perf records
 * only its guest. A host without VMs has nothing to tell apart: perf.data.
 */
export function kvmRecordOutput(events: readonly EventInfo[], on: string | undefined, vms: number): string {
  if (on !== undefined && on !== 'host') return 'perf.data.guest';
  if (vms === 0 || events.length === 0) return 'perf.data';
  if (events.every((e) => e.exclude_host)) return 'perf.data.guest';
  if (events.every((e) => e.exclude_guest)) return 'perf.data.host';
  return 'perf.data.kvm';
}
