/**
 * `guestperf convert IN -o OUT [--to FORMAT]`: any readable trace → any
 * writable format. Also home of what `script` and `report` share: reading a
 * trace file into a Profile with one-line errors, and streaming text out.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { ParseError, type TraceFormat } from '../../../profile/formats/format';
import { EXPORT_FORMATS, formatById } from '../../../profile/formats/registry';
import type { Profile } from '../../../profile/model';
import { TraceReadError, importTrace, writeTrace } from '../../files/trace-io';
import { parseArgs } from '../args';
import { CommandError, errnoText, runReporting, type CliIo } from './io';

export const CONVERT_USAGE = `Usage: guestperf convert IN -o OUT [--to FORMAT]

Converts a trace between formats. IN is any trace guestperf reads (detected
from its content; gzip-compressed input is decompressed). The output format is
--to FORMAT, else the one OUT's extension names.

  -o, --output OUT    the file to write (written atomically)
      --to FORMAT     ${EXPORT_FORMATS.map((f) => f.id).join(', ')}
  -h, --help          this text
`;

function oneLine(text: string): string {
  return text.split('\n')[0].trim();
}

/** Reads a trace file (any readable format); unreadable or broken files become a CommandError. */
export async function readProfile(file: string): Promise<Profile> {
  try {
    return await importTrace(createReadStream(file, { highWaterMark: 1 << 20 }), basename(file));
  } catch (e) {
    if (e instanceof ParseError || e instanceof TraceReadError) throw new CommandError(oneLine(e.message));
    const err = e as NodeJS.ErrnoException;
    if (err.code) throw new CommandError(`cannot read ${file}: ${errnoText(err)}`);
    throw e;
  }
}


function validIds(): string {
  return EXPORT_FORMATS.map((f) => f.id).join(', ');
}

/** The export format for OUT: --to, else OUT's extension (the longest that matches). */
export function outputFormat(out: string, to: string | undefined): TraceFormat {
  if (to !== undefined) {
    const f = formatById(to);
    if (!f || !f.export) throw new CommandError(`unknown output format "${to}" (valid: ${validIds()})`);
    return f;
  }
  const name = basename(out).toLowerCase();
  let best: TraceFormat | null = null;
  let bestLength = 0;
  for (const f of EXPORT_FORMATS) {
    const exts = [...(f.exportExtension ? [f.exportExtension] : []), ...f.extensions];
    for (const ext of exts) {
      if (name.endsWith(`.${ext.toLowerCase()}`) && ext.length > bestLength) {
        best = f;
        bestLength = ext.length;
      }
    }
  }
  if (!best) {
    throw new CommandError(`cannot tell the output format from "${basename(out)}": give --to FORMAT (valid: ${validIds()})`);
  }
  return best;
}

const SPECS = [
  { name: 'output', short: 'o', value: true },
  { name: 'to', value: true },
  { name: 'help', short: 'h' },
];

export async function convertCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(argv, SPECS);
  if (!parsed.ok) {
    io.stderr.write(`guestperf convert: ${parsed.error} (see guestperf convert --help)\n`);
    return 2;
  }
  const { flags, values, positionals } = parsed.args;
  if (flags.has('help')) {
    io.stdout.write(CONVERT_USAGE);
    return 0;
  }
  return runReporting('convert', io, async () => {
    if (positionals.length !== 1) {
      throw new CommandError(`one input file expected, got ${positionals.length} (see guestperf convert --help)`);
    }
    const out = values.get('output')?.[0];
    if (!out) throw new CommandError('missing -o OUT (see guestperf convert --help)');
    const format = outputFormat(out, values.get('to')?.[0]);
    const profile = await readProfile(positionals[0]);
    try {
      await writeTrace(out, profile, format);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code) throw new CommandError(`cannot write ${out}: ${errnoText(err)}`);
      if (e instanceof TraceReadError) throw new CommandError(oneLine(e.message));
      throw e;
    }
    for (const w of profile.meta.warnings) io.stderr.write(`guestperf convert: warning: ${oneLine(w.message)}\n`);
    return 0;
  });
}
