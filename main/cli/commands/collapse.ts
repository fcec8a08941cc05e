/**
 * `guestperf collapse`: perf script text → folded stacks, byte-identical to
 * stackcollapse-perf.pl with the same options (with --inferno, to
 * inferno-collapse-perf). The file is streamed in 1 MiB chunks; only the
 * distinct stacks are kept in memory.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { describeUnknown } from '../../../profile/formats/registry';
import { perfScriptFormat } from '../../../profile/formats/perf-script';
import { type CollapseOptions, type CollapseResult, createCollapser } from '../../../profile/formats/perf-script/collapse';
import { parseArgs } from '../args';
import { errnoText, writeChunks, type CliIo } from './io';

export const COLLAPSE_USAGE = `Usage: guestperf collapse [--pid|--tid] [--kernel] [--jit] [--all] [--addrs] [--event-filter EV] [--inferno] [FILE|-]

Folds perf script text into folded stacks ("root;...;leaf count", one line per
stack, sorted), byte-identical to stackcollapse-perf.pl with the same options.
Counts are summed periods. Reads standard input when FILE is - or missing;
gzip-compressed input is decompressed.

  --pid               root frame "comm-pid" ("?" when the input has no pid)
  --tid               root frame "comm-pid/tid"
  --kernel            append _[k] to kernel frames
  --jit               append _[j] to perf-map JIT frames
  --all               --kernel and --jit
  --addrs             keep the address of unresolved frames: [dso <addr>]
  --event-filter EV   fold only samples of event EV (default: the first event seen)
  --inferno           fold as inferno-collapse-perf does instead (byte-identical to it)
  -h, --help          this text
`;

const SPECS = [
  { name: 'pid' },
  { name: 'tid' },
  { name: 'kernel' },
  { name: 'jit' },
  { name: 'all' },
  { name: 'addrs' },
  { name: 'event-filter', value: true },
  { name: 'inferno' },
  { name: 'help', short: 'h' },
];

/** How much of the input decides "is this perf script at all". */
const HEAD_BYTES = 64 * 1024;

export class InputError extends Error {
  override name = 'InputError';
}

async function* gunzipIfNeeded(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head = first.value;
  const rest = { [Symbol.asyncIterator]: () => it };
  if (!(head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)) {
    yield head;
    yield* rest;
    return;
  }
  const gunzip = createGunzip();
  const feed = (async () => {
    gunzip.write(head);
    for await (const c of rest) if (!gunzip.write(c)) await new Promise((r) => gunzip.once('drain', r));
    gunzip.end();
  })();
  feed.catch((e: unknown) => gunzip.destroy(e as Error));
  for await (const c of gunzip) yield c as Uint8Array;
  await feed;
}

/**
 * Folds a byte stream. The first 64 KiB must look like perf script (or the
 * input be empty, which folds to nothing, as the Perl does); otherwise an
 * InputError says why.
 */
export async function foldPerfScript(
  chunks: AsyncIterable<Uint8Array>,
  options: CollapseOptions,
  name = 'input',
): Promise<CollapseResult> {
  const collapser = createCollapser(options);
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let checked = false;
  const check = () => {
    checked = true;
    const bytes = Buffer.concat(head);
    if (bytes.length > 0 && !perfScriptFormat.detect(bytes)) throw new InputError(describeUnknown(name, bytes));
    for (const c of head) collapser.push(c);
    head.length = 0;
  };
  for await (const chunk of gunzipIfNeeded(chunks)) {
    if (checked) {
      collapser.push(chunk);
      continue;
    }
    head.push(chunk);
    headBytes += chunk.length;
    if (headBytes >= HEAD_BYTES) check();
  }
  if (!checked) check();
  return collapser.finish();
}

export function collapseOptions(flags: Set<string>, eventFilter: string | undefined): CollapseOptions {
  return {
    pid: flags.has('pid'),
    tid: flags.has('tid'),
    kernel: flags.has('kernel'),
    jit: flags.has('jit'),
    all: flags.has('all'),
    addrs: flags.has('addrs'),
    eventFilter,
    inferno: flags.has('inferno'),
  };
}

/** The folded lines, '\n'-terminated, in writes of about 1 MiB. */
function* batched(lines: string[]): Generator<string> {
  let buf = '';
  for (const line of lines) {
    buf += line + '\n';
    if (buf.length >= 1 << 20) {
      yield buf;
      buf = '';
    }
  }
  if (buf.length > 0) yield buf;
}

export async function collapseCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(argv, SPECS);
  if (!parsed.ok) {
    io.stderr.write(`guestperf collapse: ${parsed.error} (see guestperf collapse --help)\n`);
    return 2;
  }
  const { flags, values, positionals } = parsed.args;
  if (flags.has('help')) {
    io.stdout.write(COLLAPSE_USAGE);
    return 0;
  }
  if (positionals.length > 1) {
    io.stderr.write(`guestperf collapse: one input file at most, got ${positionals.length}: ${positionals.join(' ')}\n`);
    return 2;
  }
  const file = positionals[0] ?? '-';
  const input: Readable = file === '-' ? io.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  const name = file === '-' ? 'standard input' : file;
  let result: CollapseResult;
  try {
    result = await foldPerfScript(input, collapseOptions(flags, values.get('event-filter')?.[0]), name);
  } catch (e) {
    if (e instanceof InputError) {
      io.stderr.write(`guestperf collapse: ${e.message}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code || err.name === 'ParseError') {
      io.stderr.write(`guestperf collapse: cannot read ${name}: ${errnoText(err)}\n`);
      return 2;
    }
    throw e;
  }
  for (const w of result.warnings) io.stderr.write(`guestperf collapse: ${w}\n`);
  await writeChunks(io.stdout, batched(result.lines));
  return 0;
}
