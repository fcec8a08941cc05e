/**
 * `guestperf collapse` against every stackcollapse-perf / inferno-collapse-perf
 * pair of the peer corpora (MANIFEST.tsv), run in-process through the very
 * function the command runs, plus the command's argument and error handling.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { collapseCommand } from '../../main/cli/commands/collapse';
import { runGuestperf, type CliRun } from '../helpers/cli';
import { corpora } from '../helpers/paths';

const run = runGuestperf;

interface Row {
  tool: string;
  input: string;
  expected: string;
  options: string;
  notes: string;
}

const rows: Row[] = readFileSync(join(corpora, 'MANIFEST.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter((l) => l.trim().length > 0)
  .map((l) => {
    const [tool, input, expected, options, notes] = l.split('\t');
    return { tool, input, expected, options, notes };
  })
  .filter((r) => r.tool === 'stackcollapse-perf (upstream)' || r.tool === 'inferno-collapse-perf');

/** Rows are told apart by tool too: both tools have rows for the Rust input. */
const key = (r: Row) => `${r.tool === 'inferno-collapse-perf' ? 'inferno' : 'upstream'}: ${r.input} ${r.options}`;

/**
 * Where inferno deliberately differs from stackcollapse-perf.pl, whose output
 * is the default's contract: these rows match only with --inferno, and the
 * default must keep folding them the Perl's way.
 */
const PERL_DIFFERS: Record<string, string> = {
  'inferno: jonhoo-inferno/tests/data/collapse-perf/cpp-stacks-std-function.txt (default)':
    'the Perl cuts a name at its first "(" ("std::function<int "), inferno at the first top-level one',
  'inferno: jonhoo-inferno/tests/data/collapse-perf/go-stacks.txt (default)':
    'inferno also counts the last record, which no empty line follows',
  'inferno: jonhoo-inferno/tests/data/collapse-perf/java-inline.txt (default)':
    'inferno also counts the last record, which no empty line follows',
  'inferno: jonhoo-inferno/tests/data/collapse-perf/single-event.txt (default)':
    'inferno demangles half-demangled Rust names ($LT$ → <), and its one record has no empty line after it',
  'inferno: jonhoo-inferno/tests/data/collapse-perf/single-line-stacks.txt (default)':
    'the Perl reads only event lines starting in column 0; these are right-aligned, so it folds nothing',
  'inferno: jonhoo-inferno/tests/data/collapse-perf/sourcepawn-jitdump.txt --jit':
    'the Perl marks only /tmp/perf-N.map frames _[j], inferno also jitted-*.so',
  'inferno: jonhoo-inferno/tests/data/collapse-perf/versioned-vmlinux.txt --kernel':
    'the Perl marks only [..] and *vmlinux dsos _[k], inferno also .ko and vmlinux-<version>; no final empty line either',
  ...Object.fromEntries(
    ['--pid', '--tid', '--kernel', '--jit', '--all', '--addrs'].map((o) => [
      `inferno: brendangregg-FlameGraph/test/perf-rust-Yamakaky-dcpu.txt ${o}`,
      'inferno demangles half-demangled Rust names; the upstream row for the same input and option matches',
    ]),
  ),
};

/** Rows whose only difference is the last record: the Perl matches once an empty line follows it. */
const PERL_WITH_FINAL_EMPTY_LINE = new Set([
  'inferno: jonhoo-inferno/tests/data/collapse-perf/go-stacks.txt (default)',
  'inferno: jonhoo-inferno/tests/data/collapse-perf/java-inline.txt (default)',
]);

function normalise(text: string, notes: string): string[] {
  const strip = notes.includes("stripping ' and \"");
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => (strip ? l.replace(/['"]/g, '') : l))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const rowOptions = (row: Row) => (row.options === '(default)' ? [] : row.options.split(' '));

/** The row's options; inferno rows with --inferno unless `perl`. */
async function collapseRow(row: Row, perl = false): Promise<CliRun> {
  const options = rowOptions(row);
  if (row.tool === 'inferno-collapse-perf' && !perl) options.unshift('--inferno');
  return run(['collapse', ...options, join(corpora, row.input)]);
}

/** The row through the default (Perl) rules, with an empty line added after the input. */
async function collapseRowWithFinalEmptyLine(row: Row): Promise<CliRun> {
  const path = join(corpora, row.input);
  let bytes: Uint8Array = readFileSync(path);
  if (path.endsWith('.gz')) bytes = gunzipSync(bytes);
  return run(['collapse', ...rowOptions(row), '-'], Readable.from([Buffer.concat([bytes, Buffer.from('\n')])]));
}

const upstreamRows = rows.filter((r) => r.tool === 'stackcollapse-perf (upstream)');
const infernoRows = rows.filter((r) => r.tool === 'inferno-collapse-perf');

describe('byte-identical to stackcollapse-perf.pl on the peer corpora', () => {
  it('has every upstream and inferno collapse-perf row of the manifest', () => {
    expect(upstreamRows).toHaveLength(78);
    expect(infernoRows).toHaveLength(15);
    for (const k of [...Object.keys(PERL_DIFFERS), ...PERL_WITH_FINAL_EMPTY_LINE]) {
      expect(rows.some((r) => key(r) === k), k).toBe(true);
    }
  });

  it.each(upstreamRows.map((r) => [key(r), r] as const))('%s', async (_k, row) => {
    const result = await collapseRow(row);
    expect(result.code).toBe(0);
    const expected = readFileSync(join(corpora, row.expected), 'utf8');
    expect(normalise(result.stdout, row.notes)).toEqual(normalise(expected, row.notes));
    // The Perl's own output order, not only after sorting.
    expect(result.stdout.split('\n').filter((l) => l).map((l) => l.replace(/['"]/g, ''))).toEqual(
      normalise(expected, row.notes),
    );
  });

  it.each(infernoRows.filter((r) => !(key(r) in PERL_DIFFERS)).map((r) => [key(r), r] as const))(
    'without --inferno too: %s',
    async (_k, row) => {
      const result = await collapseRow(row, true);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(readFileSync(join(corpora, row.expected), 'utf8'));
    },
  );

  it.each(Object.entries(PERL_DIFFERS))('the default keeps the Perl\'s rules: %s (%s)', async (k) => {
    const row = rows.find((r) => key(r) === k)!;
    const expected = readFileSync(join(corpora, row.expected), 'utf8');
    const result = await collapseRow(row, true);
    expect(result.code).toBe(0);
    expect(normalise(result.stdout, row.notes)).not.toEqual(normalise(expected, row.notes));
    if (PERL_WITH_FINAL_EMPTY_LINE.has(k)) expect((await collapseRowWithFinalEmptyLine(row)).stdout).toBe(expected);
  });

  it('folds the right-aligned single-line stacks to nothing, as the Perl does', async () => {
    const result = await run(['collapse', join(corpora, 'jonhoo-inferno/tests/data/collapse-perf/single-line-stacks.txt')]);
    expect([result.code, result.stdout]).toEqual([0, '']);
  });
});

describe('byte-identical to inferno-collapse-perf with --inferno on the peer corpora', () => {
  it.each(infernoRows.map((r) => [key(r), r] as const))('%s', async (_k, row) => {
    const result = await collapseRow(row);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toBe(readFileSync(join(corpora, row.expected), 'utf8'));
  });

  it('keeps quotes, counts a last record without an empty line, and weighs a sample by its period', async () => {
    const input = Buffer.from("prog 7 1.5: 250 cycles:\n\t10 f(char const*) (/bin/prog)\n\t20 'quoted' (/bin/prog)\n");
    const perl = await run(['collapse', '-'], Readable.from([input]));
    const inferno = await run(['collapse', '--inferno', '-'], Readable.from([input]));
    expect([perl.code, perl.stdout]).toEqual([0, '']);
    expect([inferno.code, inferno.stdout]).toEqual([0, "prog;'quoted';f 250\n"]);
  });

  it('drops samples of other events with the same warning as the default', async () => {
    const input = readFileSync(join(corpora, 'brendangregg-FlameGraph/test/perf-cycles-instructions-01.txt'));
    const r = await run(['collapse', '--inferno', '-'], Readable.from([input]));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/kept only samples of event "instructions" \(the first one seen\); dropped 111 samples/);
  });
});

describe('guestperf collapse, the command', () => {
  const DD = join(corpora, 'brendangregg-FlameGraph/test/perf-dd-stacks-01.txt');

  it('reads standard input and takes --event-filter with or without "="', async () => {
    const input = readFileSync(join(corpora, 'brendangregg-FlameGraph/test/perf-cycles-instructions-01.txt'));
    const byDefault = await run(['collapse', '-'], Readable.from([input]));
    expect(byDefault.stderr).toMatch(/kept only samples of event "instructions" \(the first one seen\); dropped 111 samples/);
    const cycles = await run(['collapse', '--event-filter', 'cycles'], Readable.from([input]));
    const cycles2 = await run(['collapse', '--event-filter=cycles'], Readable.from([input]));
    expect(cycles.stdout).toBe(cycles2.stdout);
    const total = (s: string) => s.split('\n').filter((l) => l).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    expect([total(byDefault.stdout), total(cycles.stdout)]).toEqual([333, 111]);
    expect(cycles.stderr).toBe('');
  });

  it('answers --help and exits 2 on bad arguments, naming what is wrong', async () => {
    const help = await run(['collapse', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: guestperf collapse \[--pid\|--tid\] \[--kernel\] \[--jit\] \[--all\] \[--addrs\]/);
    expect(help.stdout).toMatch(/^ {2}--inferno +fold as inferno-collapse-perf does/m);
    for (const [argv, message] of [
      [['collapse', '--bogus'], 'guestperf collapse: unknown option --bogus (see guestperf collapse --help)\n'],
      [['collapse', '--event-filter'], 'guestperf collapse: option --event-filter needs a value (see guestperf collapse --help)\n'],
      [['collapse', '--pid=1', DD], 'guestperf collapse: option --pid takes no value (see guestperf collapse --help)\n'],
      [['collapse', DD, DD], `guestperf collapse: one input file at most, got 2: ${DD} ${DD}\n`],
      [['collapse', '/no/such/file.perf'], 'guestperf collapse: cannot read /no/such/file.perf: no such file\n'],
    ] as const) {
      const r = await run([...argv]);
      expect([r.code, r.stdout, r.stderr]).toEqual([2, '', message]);
    }
  });

  it('refuses input that is not perf script with exit status 2', async () => {
    const folded = await run(['collapse', '-'], Readable.from([Buffer.from('main;foo;bar 12\nmain;foo 3\n')]));
    expect(folded.code).toBe(2);
    expect(folded.stderr).toMatch(/^guestperf collapse: standard input:1: not a perf script file: "main;foo;bar 12"/);
    const binary = await run(['collapse', '-'], Readable.from([Buffer.from([0, 1, 2, 3, 200, 0, 0, 9])]));
    expect([binary.code, binary.stderr.split('\n').length]).toEqual([2, 2]);
    const empty = await run(['collapse', '-'], Readable.from([]));
    expect([empty.code, empty.stdout]).toEqual([0, '']);
  });

  it('streams large output through a slow reader', async () => {
    const input = readFileSync(join(corpora, 'brendangregg-FlameGraph/test/perf-vertx-stacks-01.txt'));
    const slow = new PassThrough({ highWaterMark: 16 });
    const chunks: Buffer[] = [];
    slow.on('data', (c: Buffer) => chunks.push(c));
    const code = await collapseCommand(['--tid'], { stdin: Readable.from([input]), stdout: slow, stderr: new PassThrough() });
    expect(code).toBe(0);
    const expected = readFileSync(join(corpora, 'brendangregg-FlameGraph/test/results/perf-vertx-stacks-01-collapsed-tid.txt'), 'utf8');
    expect(normalise(Buffer.concat(chunks).toString('utf8'), "stripping ' and \"")).toEqual(normalise(expected, "stripping ' and \""));
  });
});

describe('guestperf, the command list', () => {
  it('lists every subcommand of the contract, each with its summary', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const name of ['stat', 'record', 'report', 'script', 'collapse', 'convert', 'compare', 'kvm-stat', 'scenarios']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
    expect(r.stdout).not.toContain('not yet available');
    expect(r.stdout).toMatch(/^ {2}collapse +fold perf script text into folded stacks \(stackcollapse-perf\.pl compatible\)$/m);
  });

  it('gives each subcommand a --help, and refuses an unknown one', async () => {
    const help = await run(['kvm-stat', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: guestperf kvm-stat \[scenario options\] \[--event vmexit\|mmio\|ioport\]/);
    const unknown = await run(['frobnicate']);
    expect([unknown.code, unknown.stderr]).toEqual([2, 'guestperf: unknown command "frobnicate" (run guestperf --help for the list)\n']);
  });
});
