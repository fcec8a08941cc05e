/**
 * Every format File > Open understands, in detection order: the cheap,
 * unambiguous magic numbers first, then text formats.
 */
import type { TraceFormat } from './format';
import { looksLikeText } from './lines';
import { nativeFormat } from './native';
import { perfScriptFormat } from './perf-script';

export const IMPORT_FORMATS: readonly TraceFormat[] = [nativeFormat, perfScriptFormat];

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
    `(expected "comm pid [cpu] time: [period] event:")`
  );
}

export const IMPORT_EXTENSIONS: readonly string[] = [...new Set(IMPORT_FORMATS.flatMap((f) => f.extensions))];
