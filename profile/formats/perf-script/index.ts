/**
 * `perf script` text (Linux perf, and Android simpleperf's report_sample.py
 * which writes the same layout with tabs).
 */
import type { TraceFormat } from '../format';
import { looksLikeText } from '../lines';
import { EventFields, parseEventLine } from './event-line';
import { exportPerfScript } from './export';
import { createPerfScriptImporter } from './importer';

export { createPerfScriptImporter } from './importer';
export { exportPerfScript } from './export';
export { PerfScriptRecordParser, PerfRecord, ItemKind } from './records';
export { PerfScriptCollapser, type CollapseOptions } from './collapse';

/**
 * perf script text: the `# ========` header of `perf script --header`, or a
 * first non-comment line that parses as an event line. Folded stacks, JSON
 * and binary files all fail the event-line test.
 */
function detect(head: Uint8Array): boolean {
  if (head.length === 0 || !looksLikeText(head)) return false;
  const text = new TextDecoder('utf-8').decode(head);
  const fields = new EventFields();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    if (line.startsWith('# ========')) return true;
    if (line.startsWith('#') || line.trim() === '') continue;
    return parseEventLine(line, fields);
  }
  return false;
}

export const perfScriptFormat: TraceFormat = {
  id: 'perf-script',
  name: 'perf script text',
  extensions: ['perf', 'txt', 'script'],
  detect,
  createImporter: createPerfScriptImporter,
  export: exportPerfScript,
  exportExtension: 'perf',
};
