/**
 * `guestperf stat`: perf stat on the emulated machine. Output in perf stat's
 * layouts (stat-display.ts); like perf, the human and CSV layouts go to
 * standard error unless -o FILE is given, JSON lines to standard output.
 */
import { Readable } from 'node:stream';
import { writeFileAtomic } from '../../files/atomic-write';
import {
  formatIntervalCsv,
  formatIntervalJson,
  formatIntervalStd,
  formatStatCsv,
  formatStatJson,
  formatStatStd,
} from '../../../emulator/perf-tool/stat-display';
import { type BackgroundResult, runStat } from '../../../emulator/session';
import { CommandError, errnoText, runReporting, writeChunks } from './io';
import type { CliIo } from './io';
import { loadScenarioOptions, perfOptions, runEmulator, SCENARIO_OPTIONS_HELP } from './scenario-options';

export const STAT_USAGE = `Usage: guestperf stat [scenario options] [-e EVENTS]... [-a] [-C CPUS] [-I MS] [-x SEP] [-j] [-o FILE] [--truth]

Counts events while the scenario runs, as perf stat does, and prints them in
perf stat's layouts. Without -e: perf stat's default events. Without -a, -C,
-p or -t the session counts system-wide.

  -e, --event EVENTS      events in perf's syntax (cycles:u, r003c, {a,b}:S, cpu/event=0x3c/...)
  -a, --all-cpus          system-wide on every CPU
  -C, --cpu CPUS          only these CPUs (0-3,6)
  -p, --pid PID           one process; -t, --tid TID: one thread
  -I, --interval-print MS print counts every MS milliseconds
  -x, --field-separator SEP  CSV output
  -j, --json              JSON lines
  -o, --output FILE       write to FILE instead of standard error
      --truth             add the emulator's ground truth and the error of each count
  -v, --verbose           show fallback notices
  -h, --help              this text

${SCENARIO_OPTIONS_HELP}`;

export async function statCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(STAT_USAGE);
    return 0;
  }
  return runReporting('stat', io, async () => {
    const loaded = await loadScenarioOptions(argv);
    const options = perfOptions('stat', loaded.rest);
    const cpuText = cpuListText(loaded.rest);
    const result = runEmulator(io, () => runStat(loaded.scenario, options, loaded.on, cpuText));
    if (!result) return 2;
    if (options.verbose) for (const m of result.messages) io.stderr.write(`${m}\n`);
    const { run, intervals } = result;
    const shownArgv = `guestperf stat ${argv.join(' ')}`.trim();
    let text: string;
    if (options.intervalMs !== null) {
      if (options.json) text = formatIntervalJson(intervals, options.intervalMs);
      else if (options.fieldSeparator !== null) text = formatIntervalCsv(intervals, options.intervalMs, options.fieldSeparator);
      else text = formatIntervalStd(intervals, options.intervalMs);
    } else if (options.json) text = formatStatJson(run);
    else if (options.fieldSeparator !== null) text = formatStatCsv(run, options.fieldSeparator);
    else text = formatStatStd(run, shownArgv);
    if (options.output !== null) {
      try {
        await writeFileAtomic(options.output, Readable.from([text]));
      } catch (e) {
        throw new CommandError(`cannot write ${options.output}: ${errnoText(e as NodeJS.ErrnoException)}`);
      }
    } else {
      await writeChunks(options.json ? io.stdout : io.stderr, [text]);
    }
    await writeBackground(io, result.background);
    // perf stat fails (status 1) when not a single event could be opened.
    if (!run.counters.some((c) => c.supported)) {
      io.stderr.write('Error: no event could be opened on this machine\n');
      return 1;
    }
    return 0;
  });
}

/** The scenario's own perf stat sessions, each after a comment naming it, on standard error. */
export async function writeBackground(io: CliIo, background: readonly BackgroundResult[]): Promise<void> {
  for (const b of background) {
    if (!b.stat) continue;
    await writeChunks(io.stderr, [`# scenario perf[${b.index}] on ${b.on}: perf ${b.run}\n`, formatStatStd(b.stat, `perf ${b.run}`)]);
  }
}

/** The -C list as written, for the header ("CPU(s) 0-3"). */
function cpuListText(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-C' || argv[i] === '--cpu') return argv[i + 1] ?? null;
    if (argv[i].startsWith('--cpu=')) return argv[i].slice(6);
    if (argv[i].startsWith('-C') && argv[i].length > 2) return argv[i].slice(2);
  }
  return null;
}
