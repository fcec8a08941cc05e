/**
 * The perf tool's own command lines, `stat ...` and `record ...`, as a
 * scenario's `perf: run:` holds them and as `guestperf stat|record` takes
 * them (the CLI adds its scenario options around these). Option names follow
 * perf's; an unknown option is an error that names it.
 */

export interface StatOptions {
  command: 'stat';
  events: string[];
  allCpus: boolean;
  /** -C: the CPUs to count on, null for "all" or per-task. */
  cpus: number[] | null;
  pid: number | null;
  tid: number | null;
  intervalMs: number | null;
  fieldSeparator: string | null;
  json: boolean;
  output: string | null;
  truth: boolean;
  /** -v: also show unsupported default events. */
  verbose: boolean;
}

export interface RecordOptions {
  command: 'record';
  events: string[];
  allCpus: boolean;
  cpus: number[] | null;
  pid: number | null;
  tid: number | null;
  /** -F; null with -c. perf record's default is 4000 Hz. */
  freq: number | null;
  /** -c */
  period: number | null;
  callGraph: boolean;
  output: string | null;
  /** -m: data pages of each ring buffer (a power of two). */
  mmapPages: number | null;
}

export type PerfCommand = StatOptions | RecordOptions;

export class PerfUsageError extends Error {}

/** Split a `run:` string the way a shell would for the simple cases perf command lines use. */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** "0-3,6" → [0, 1, 2, 3, 6] (perf's cpu list syntax). */
export function parseCpuList(text: string): number[] {
  const cpus = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new PerfUsageError(`invalid CPU list "${text}" (expected e.g. 0-3,6)`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new PerfUsageError(`invalid CPU range "${part}"`);
    for (let c = lo; c <= hi; c++) cpus.add(c);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** Options that take a value, by every spelling, for each command. */
const VALUE_OPTIONS: Record<PerfCommand['command'], Record<string, string>> = {
  stat: {
    '-e': 'event', '--event': 'event', '-C': 'cpu', '--cpu': 'cpu', '-p': 'pid', '--pid': 'pid', '-t': 'tid',
    '--tid': 'tid', '-I': 'interval', '--interval-print': 'interval', '-x': 'sep', '--field-separator': 'sep',
    '-o': 'output', '--output': 'output',
  },
  record: {
    '-e': 'event', '--event': 'event', '-C': 'cpu', '--cpu': 'cpu', '-p': 'pid', '--pid': 'pid', '-t': 'tid',
    '--tid': 'tid', '-F': 'freq', '--freq': 'freq', '-c': 'count', '--count': 'count', '-o': 'output',
    '--output': 'output', '-m': 'mmap', '--mmap-pages': 'mmap', '--call-graph': 'call-graph',
  },
};

const FLAG_OPTIONS: Record<PerfCommand['command'], Record<string, string>> = {
  stat: { '-a': 'all', '--all-cpus': 'all', '-j': 'json', '--json': 'json', '--truth': 'truth', '-v': 'verbose', '--verbose': 'verbose' },
  record: { '-a': 'all', '--all-cpus': 'all', '-g': 'g' },
};

function positiveInt(option: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new PerfUsageError(`${option}: expected a positive integer, got "${value}"`);
  return Number(value);
}

/** Parse `stat ...` or `record ...` (argv without the leading `perf`). */
export function parsePerfCommand(argv: readonly string[]): PerfCommand {
  const [command, ...rest] = argv;
  if (command !== 'stat' && command !== 'record')
    throw new PerfUsageError(`unknown perf command "${command ?? ''}" (expected stat or record)`);
  const values: [string, string][] = [];
  const flags = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    let arg = rest[i];
    let inline: string | null = null;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    if (eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    } else if (/^-[a-zA-Z]./.test(arg) && VALUE_OPTIONS[command][arg.slice(0, 2)]) {
      // Short options take their value attached too (-ecycles, -F999, -x,).
      inline = arg.slice(2);
      arg = arg.slice(0, 2);
    }
    const valueName = VALUE_OPTIONS[command][arg];
    if (valueName) {
      const value = inline ?? rest[++i];
      if (value === undefined) throw new PerfUsageError(`option ${arg} needs a value`);
      values.push([valueName, value]);
      continue;
    }
    const flag = FLAG_OPTIONS[command][arg];
    if (flag && inline === null) {
      flags.add(flag);
      continue;
    }
    throw new PerfUsageError(`${command}: unknown option "${rest[i]}"`);
  }
  const all = (name: string) => values.filter(([n]) => n === name).map(([, v]) => v);
  const last = (name: string) => all(name).at(-1) ?? null;
  const cpuText = last('cpu');
  const pid = last('pid');
  const tid = last('tid');
  const common = {
    events: all('event'),
    allCpus: flags.has('all'),
    cpus: cpuText === null ? null : parseCpuList(cpuText),
    pid: pid === null ? null : positiveInt('-p', pid),
    tid: tid === null ? null : positiveInt('-t', tid),
    output: last('output'),
  };
  if (common.allCpus && (common.pid !== null || common.tid !== null))
    throw new PerfUsageError('-a cannot be combined with -p or -t');
  if (command === 'stat') {
    const interval = last('interval');
    const intervalMs = interval === null ? null : positiveInt('-I', interval);
    if (intervalMs !== null && intervalMs < 10) throw new PerfUsageError('print interval must be >= 10ms');
    return {
      command,
      ...common,
      intervalMs,
      fieldSeparator: last('sep'),
      json: flags.has('json'),
      truth: flags.has('truth'),
      verbose: flags.has('verbose'),
    };
  }
  const freq = last('freq');
  const count = last('count');
  if (freq !== null && count !== null) throw new PerfUsageError('-F and -c cannot be used together');
  const callGraph = last('call-graph');
  if (callGraph !== null && callGraph !== 'fp') throw new PerfUsageError(`--call-graph: only "fp" is modelled, got "${callGraph}"`);
  const mmap = last('mmap');
  const mmapPages = mmap === null ? null : positiveInt('-m', mmap);
  if (mmapPages !== null && (mmapPages & (mmapPages - 1)) !== 0)
    throw new PerfUsageError(`-m: the number of mmap pages must be a power of two, got ${mmapPages}`);
  return {
    command,
    ...common,
    freq: freq === null ? null : positiveInt('-F', freq),
    period: count === null ? null : positiveInt('-c', count),
    callGraph: flags.has('g') || callGraph !== null,
    mmapPages,
  };
}
