/**
 * Every format guestperf reads and writes. Detection order: unambiguous magic
 * numbers and binary structure first, then JSON by its keys, then the text
 * formats, perf script before folded stacks (a folded line can look like
 * anything; a perf script event line cannot).
 */
import { chromeTraceFormat } from './chrome-trace';
import { cpuprofileFormat } from './cpuprofile';
import { foldedFormat } from './folded';
import type { TraceFormat } from './format';
import { looksLikeText } from './lines';
import { nativeFormat } from './native';
import { perfScriptFormat } from './perf-script';
import { pprofFormat } from './pprof';
import { speedscopeFormat } from './speedscope';

export const IMPORT_FORMATS: readonly TraceFormat[] = [
  nativeFormat,
  pprofFormat,
  speedscopeFormat,
  cpuprofileFormat,
  chromeTraceFormat,
  perfScriptFormat,
  foldedFormat,
];

/** Formats guestperf can write, by id. */
export const EXPORT_FORMATS: readonly TraceFormat[] = IMPORT_FORMATS.filter((f) => f.export);

export function formatById(id: string): TraceFormat | undefined {
  return IMPORT_FORMATS.find((f) => f.id === id);
}

export function detectFormat(head: Uint8Array): TraceFormat | null {
  return IMPORT_FORMATS.find((f) => f.detect(head)) ?? null;
}

/** Why no format took the file, in one line, for the user. */
export function describeUnknown(fileName: string, head: Uint8Array): string {
  if (head.length === 0) return `${fileName}: the file is empty`;
  if (!looksLikeText(head)) {
    return `${fileName}: binary data, not a trace guestperf reads (for a perf.data file, open the output of \`perf script\`)`;
  }
  const text = new TextDecoder().decode(head.subarray(0, 4096));
  const lines = text.split('\n');
  const n = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'));
  const line = n < 0 ? 1 : n + 1;
  const excerpt = (lines[line - 1] ?? '').trim().slice(0, 60);
  return (
    `${fileName}:${line}: not a perf script file: "${excerpt}" is not an event line ` +
    `(expected "comm pid [cpu] time: [period] event:"), and the file is not folded stacks, ` +
    `speedscope, Chrome trace, .cpuprofile or pprof either`
  );
}

export const IMPORT_EXTENSIONS: readonly string[] = [...new Set(IMPORT_FORMATS.flatMap((f) => f.extensions))];
