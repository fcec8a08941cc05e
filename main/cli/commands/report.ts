/**
 * `guestperf report FILE`: the top functions of a trace by self weight, each
 * function split by execution context (the same name in the guest kernel and
 * in the host kernel is two rows), per event, laid out like `perf report
 * --children --stdio`.
 */
import { EXEC_CONTEXT_NAMES, type Profile } from '../../../profile/model';
import {
  PERF_RECORD_MISC_GUEST_KERNEL,
  PERF_RECORD_MISC_GUEST_USER,
  PERF_RECORD_MISC_KERNEL,
  PERF_RECORD_MISC_USER,
} from '../../../emulator/perf/attr';
import { cpumodeLevel } from '../../../emulator/perf-tool/cpumode';
import { parseArgs } from '../args';
import { readProfile } from './convert';
import { CommandError, runReporting, writeChunks } from './io';
import type { CliIo } from './io';

export const REPORT_USAGE = `Usage: guestperf report [--sort self|total] [--top N] FILE

Prints the top functions of a trace (any format guestperf reads), per event,
with perf report's level before each symbol ([.] user, [k] kernel, [g] guest
kernel, [u] guest user, [H] unknown):
Overhead is the share of the event's weight in samples whose callchain holds
the function (children included), Self the share where it is the leaf.
A function that runs in several execution contexts (host-user, host-kernel,
hypervisor, guest-kernel, guest-user) has one row per context.

      --sort self|total   order rows by Self (default) or by Overhead
      --top N             rows per event (default 50, 0 for all)
  -h, --help              this text
`;

const SPECS = [
  { name: 'sort', value: true },
  { name: 'top', value: true },
  { name: 'help', short: 'h' },
];

export interface ReportRow {
  symbol: string;
  context: string;
  self: number;
  total: number;
}

export interface EventReport {
  event: string;
  samples: number;
  weight: number;
  /** Weight per sample context, largest first. */
  contexts: [string, number][];
  rows: ReportRow[];
}

/** Self and total weight per (function, context), per event. */
export function buildReport(profile: Profile, sort: 'self' | 'total' = 'self', top = 50): EventReport[] {
  const { samples, stacks, frames, strings } = profile;
  const reports: EventReport[] = [];
  for (let e = 0; e < profile.events.length; e++) {
    // Weight per leaf stack first, so each distinct stack is walked once.
    const byStack = new Map<number, number>();
    const byContext = new Map<number, number>();
    let count = 0;
    let weight = 0;
    for (let i = 0; i < samples.length; i++) {
      if (samples.event[i] !== e) continue;
      count++;
      weight += samples.weight[i];
      byStack.set(samples.stack[i], (byStack.get(samples.stack[i]) ?? 0) + samples.weight[i]);
      byContext.set(samples.context[i], (byContext.get(samples.context[i]) ?? 0) + samples.weight[i]);
    }
    if (count === 0) continue;
    const rows = new Map<string, ReportRow>();
    const row = (symbol: string, context: number) => {
      const key = `${context}\u0000${symbol}`;
      let r = rows.get(key);
      if (!r) rows.set(key, (r = { symbol, context: EXEC_CONTEXT_NAMES[context] ?? 'unknown', self: 0, total: 0 }));
      return r;
    };
    for (const [stack, w] of byStack) {
      if (stack < 0) {
        const r = row('[no callchain]', 5);
        r.self += w;
        r.total += w;
        continue;
      }
      const seen = new Set<ReportRow>();
      for (let s = stack; s >= 0; s = stacks.prefix[s]) {
        const f = stacks.frame[s];
        const r = row(strings[frames.name[f]], frames.context[f]);
        if (s === stack) r.self += w;
        if (!seen.has(r)) {
          seen.add(r);
          r.total += w;
        }
      }
    }
    const sorted = [...rows.values()].sort((a, b) =>
      sort === 'total'
        ? b.total - a.total || b.self - a.self || a.symbol.localeCompare(b.symbol)
        : b.self - a.self || b.total - a.total || a.symbol.localeCompare(b.symbol),
    );
    reports.push({
      event: profile.events[e].name,
      samples: count,
      weight,
      contexts: [...byContext].sort((a, b) => b[1] - a[1]).map(([c, w]) => [EXEC_CONTEXT_NAMES[c] ?? 'unknown', w]),
      rows: top > 0 ? sorted.slice(0, top) : sorted,
    });
  }
  return reports;
}

/** The cpumode a sample in each context carries, for perf report's level column. */
const CONTEXT_CPUMODE: Record<string, number> = {
  'host-user': PERF_RECORD_MISC_USER,
  'host-kernel': PERF_RECORD_MISC_KERNEL,
  hypervisor: PERF_RECORD_MISC_KERNEL,
  'guest-kernel': PERF_RECORD_MISC_GUEST_KERNEL,
  'guest-user': PERF_RECORD_MISC_GUEST_USER,
};

function pct(part: number, whole: number): string {
  return `${whole > 0 ? ((100 * part) / whole).toFixed(2) : '0.00'}%`;
}

export function formatReport(profile: Profile, reports: EventReport[]): string[] {
  const out: string[] = [];
  const unit = profile.meta.weightUnit;
  out.push(`# Trace: ${profile.meta.name} (${profile.meta.source})`);
  out.push(`# Total samples: ${profile.samples.length}`);
  out.push('#');
  for (const r of reports) {
    out.push(`# Samples: ${r.samples}  of event '${r.event}'`);
    out.push(`# Event count (approx.): ${Math.round(r.weight)}${unit === 'events' ? '' : ` (${unit})`}`);
    out.push(`# Contexts: ${r.contexts.map(([c, w]) => `${c} ${pct(w, r.weight)}`).join(', ')}`);
    out.push('#');
    const width = Math.max(7, ...r.rows.map((x) => x.context.length));
    out.push(`# Overhead     Self  ${'Context'.padEnd(width)}  Symbol`);
    out.push(`# ........  .......  ${'.'.repeat(width)}  ......`);
    out.push('#');
    for (const x of r.rows) {
      const level = cpumodeLevel(CONTEXT_CPUMODE[x.context] ?? 0);
      out.push(`  ${pct(x.total, r.weight).padStart(7)}  ${pct(x.self, r.weight).padStart(7)}  ${x.context.padEnd(width)}  [${level}] ${x.symbol}`);
    }
    out.push('');
  }
  return out;
}

export async function reportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(argv, SPECS);
  if (!parsed.ok) {
    io.stderr.write(`guestperf report: ${parsed.error} (see guestperf report --help)\n`);
    return 2;
  }
  const { flags, values, positionals } = parsed.args;
  if (flags.has('help')) {
    io.stdout.write(REPORT_USAGE);
    return 0;
  }
  return runReporting('report', io, async () => {
    const sort = values.get('sort')?.[0] ?? 'self';
    if (sort !== 'self' && sort !== 'total') throw new CommandError(`--sort takes self or total, not "${sort}"`);
    const topText = values.get('top')?.[0] ?? '50';
    if (!/^\d+$/.test(topText)) throw new CommandError(`--top takes a number of rows, not "${topText}"`);
    if (positionals.length !== 1) {
      throw new CommandError(`one input file expected, got ${positionals.length} (see guestperf report --help)`);
    }
    const profile = await readProfile(positionals[0]);
    const lines = formatReport(profile, buildReport(profile, sort, Number(topText)));
    await writeChunks(io.stdout, [lines.join('\n') + '\n']);
    return 0;
  });
}
