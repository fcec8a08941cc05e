/**
 * Folded ("collapsed") stacks, the lingua franca of FlameGraph/inferno:
 *
 *   root;caller;leaf 12          one unique stack and its count
 *   root;caller;leaf 12 7        differential form (difffolded.pl): before, after
 *
 * Counts may be fractional (inferno fractional-samples). Frame suffixes
 * `_[k]` `_[j]` `_[i]` `_[w]` are FlameGraph colour hints: `_[k]` is the only
 * one that says where code ran (kernel), so it becomes a HostKernel frame;
 * the others keep their hint as a pseudo dso (`[jit]`, `[inlined]`, `[waker]`)
 * so an export writes the suffix back and a round trip is exact. Perfetto's
 * reading adds `#` comments and blank lines; speedscope's corpus adds CRLF,
 * UTF-16 with a BOM, and invalid lines that are skipped, not fatal.
 */
import { ProfileBuilder } from '../builder';
import { ExecContext, type Profile } from '../model';
import { ParseError, type ExportOptions, type ImportOptions, type StreamingImporter, type TraceFormat } from './format';
import { looksLikeText } from './lines';

/** The folded line shape from the reference (section 2.2), used for detection only. */
const FOLDED_LINE = /^.+ \d+(\.\d+)?( \d+(\.\d+)?)?$/;
/** The importer is more lenient than detection: `.5`, `12.`, `1e-7` all occur in generated files. */
const COUNT = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** perf script's sample header carries `secs.usecs:`; a folded file never has that token. */
const PERF_TIMESTAMP = /(?:^|\s)\d+\.\d+:(?:\s|$)/;
const DETECT_LINES = 16;
/** callgrind position/cost lines look folded ("16 20 15000"); its `fn=`-style keys do not. */
const CALLGRIND_KEY = /^(?:c?f[ilne]|c?ob|calls)=/;
const NUMERIC = /^[-+*\d\s]+$/;

const HINT_DSO: Record<string, string> = { '_[j]': '[jit]', '_[i]': '[inlined]', '_[w]': '[waker]' };
const DSO_HINT: Record<string, string> = { '[jit]': '_[j]', '[inlined]': '_[i]', '[waker]': '_[w]' };

type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/** The encoding named by a byte order mark; UTF-8 (whose BOM TextDecoder drops itself) otherwise. */
function bomEncoding(bytes: Uint8Array): Encoding {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}

/**
 * Like LineSplitter (lines.ts) but for any of the three encodings: the
 * decoder is chosen once the first two bytes are known, since a stream may
 * deliver them in separate chunks.
 */
class TextLines {
  private decoder: TextDecoder | null = null;
  private head: Uint8Array = new Uint8Array(0);
  private carry = '';
  private lineNumber = 1;

  constructor(private readonly onLine: (line: string, lineNumber: number) => void) {}

  push(chunk: Uint8Array): void {
    if (!this.decoder) {
      const joined = new Uint8Array(this.head.length + chunk.length);
      joined.set(this.head);
      joined.set(chunk, this.head.length);
      if (joined.length < 2) {
        this.head = joined;
        return;
      }
      this.decoder = new TextDecoder(bomEncoding(joined));
      this.head = new Uint8Array(0);
      chunk = joined;
    }
    this.split(this.carry + this.decoder.decode(chunk, { stream: true }));
  }

  end(): void {
    const decoder = this.decoder ?? new TextDecoder(bomEncoding(this.head));
    const rest = this.carry + decoder.decode(this.decoder ? undefined : this.head);
    this.carry = '';
    this.split(rest);
    if (this.carry.length > 0) this.onLine(this.carry.endsWith('\r') ? this.carry.slice(0, -1) : this.carry, this.lineNumber++);
    this.carry = '';
  }

  private split(text: string): void {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.onLine(text.slice(start, end), this.lineNumber++);
      start = nl + 1;
    }
    this.carry = text.slice(start);
  }
}

/**
 * A line read from the right, since frame names may hold spaces: `stack` and
 * `count` are the one-count reading; `diffStack` and `before` are set when
 * the token before the count is a count too (the differential reading).
 */
interface FoldedLine {
  stack: string;
  count: number;
  diffStack: string | null;
  before: number;
}

const isSpace = (c: number) => c === 32 || c === 9;

function parseLine(line: string): FoldedLine | null {
  let end = line.length;
  while (end > 0 && isSpace(line.charCodeAt(end - 1))) end--;
  let start = end;
  while (start > 0 && !isSpace(line.charCodeAt(start - 1))) start--;
  if (start === 0 || !COUNT.test(line.slice(start, end))) return null;
  let stackEnd = start;
  while (stackEnd > 0 && isSpace(line.charCodeAt(stackEnd - 1))) stackEnd--;
  if (stackEnd === 0) return null;
  const parsed: FoldedLine = { stack: line.slice(0, stackEnd), count: Number(line.slice(start, end)), diffStack: null, before: NaN };
  let prevStart = stackEnd;
  while (prevStart > 0 && !isSpace(line.charCodeAt(prevStart - 1))) prevStart--;
  let diffEnd = prevStart;
  while (diffEnd > 0 && isSpace(line.charCodeAt(diffEnd - 1))) diffEnd--;
  if (diffEnd > 0 && COUNT.test(line.slice(prevStart, stackEnd))) {
    parsed.diffStack = line.slice(0, diffEnd);
    parsed.before = Number(line.slice(prevStart, stackEnd));
  }
  return parsed;
}

const isComment = (line: string) => line.startsWith('#');

function createFoldedImporter(options: ImportOptions): StreamingImporter {
  const b = new ProfileBuilder();
  const thread = b.thread('all', -1, -1);
  let events: number[] | null = null;
  /** Fixed by the first valid line, so a frame name ending in " 12" cannot flip the reading mid-file. */
  let differential = false;
  const frameOf = new Map<string, number>();
  const stackOf = new Map<string, number>();
  /** Execution context of each stack row's leaf frame: the sample's context. */
  const leafContext: ExecContext[] = [];
  let invalid = 0;
  let firstInvalid = -1;
  let firstInvalidText = '';

  function stack(text: string): number {
    let s = stackOf.get(text);
    if (s !== undefined) return s;
    s = -1;
    for (const raw of text.split(';')) {
      const suffix = raw.length > 4 && raw.endsWith(']') ? raw.slice(-4) : '';
      const context = suffix === '_[k]' ? ExecContext.HostKernel : ExecContext.HostUser;
      let f = frameOf.get(raw);
      if (f === undefined) {
        const dso = HINT_DSO[suffix] ?? null;
        f = b.frame(suffix === '_[k]' || dso !== null ? raw.slice(0, -4) : raw, dso, context);
        frameOf.set(raw, f);
      }
      s = b.stack(s, f);
      leafContext[s] = context;
    }
    stackOf.set(text, s);
    return s;
  }

  function sample(s: number, weight: number, event: number): void {
    // A zero count carries no weight; FlameGraph drops such stacks too.
    if (!(weight > 0) || !Number.isFinite(weight)) return;
    b.sample({ stack: s, time: NaN, weight, event, cpu: -1, thread, vcpu: -1, context: leafContext[s] });
  }

  const lines = new TextLines((line, n) => {
    if (line.trim() === '' || isComment(line)) return;
    const parsed = parseLine(line);
    if (parsed && events === null) {
      differential = parsed.diffStack !== null;
      events = differential ? [b.event('before'), b.event('after')] : [b.event('samples')];
    }
    if (!parsed || (differential && parsed.diffStack === null)) {
      if (invalid++ === 0) {
        firstInvalid = n;
        firstInvalidText = line.length > 60 ? `${line.slice(0, 57)}...` : line;
      }
      return;
    }
    const ev = events as number[];
    if (differential) {
      const s = stack(parsed.diffStack as string);
      sample(s, parsed.before, ev[0]);
      sample(s, parsed.count, ev[1]);
    } else {
      // In the one-count form "a;b 1 2" is the stack "a;b 1" with count 2.
      sample(stack(parsed.stack), parsed.count, ev[0]);
    }
  });

  return {
    push: (chunk) => lines.push(chunk),
    finish(): Profile {
      lines.end();
      if (events === null) {
        throw new ParseError(
          options.fileName,
          1,
          'no folded stack line found: expected "frame;frame;...;leaf count" ' +
            '(or "stack countBefore countAfter"), with # comments and blank lines allowed',
        );
      }
      if (invalid > 0) {
        b.warn(
          firstInvalid,
          `${invalid} line${invalid === 1 ? ' is' : 's are'} not ${differential ? 'differential ' : ''}folded stacks and ` +
            `${invalid === 1 ? 'was' : 'were'} skipped; the first is line ${firstInvalid}: "${firstInvalidText}"`,
        );
      }
      return b.build({ name: options.fileName, source: 'folded', weightUnit: 'samples' });
    },
  };
}

/**
 * Detection reads the head the way the importer will (BOM first) and asks
 * for lines that look folded, not for a particular first line: speedscope's
 * simple-with-invalids.txt opens with a `//` line. perf script text must not
 * pass: its callchain lines are indented and its headers carry `secs.usecs:`
 * or end in `event:`, which no folded line does. Nor must callgrind, whose
 * cost lines are "number number" under `fn=` keys.
 */
function detectFolded(head: Uint8Array): boolean {
  const encoding = bomEncoding(head);
  if (encoding === 'utf-8' && !looksLikeText(head)) return false;
  const text = new TextDecoder(encoding).decode(head);
  const all = text.split('\n');
  // The head may stop mid-line; the partial last line is not evidence either way.
  if (all.length > 1 && !text.endsWith('\n')) all.pop();
  const content: string[] = [];
  for (const raw of all) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '' || isComment(line)) continue;
    content.push(line);
    if (content.length === DETECT_LINES) break;
  }
  if (content.length === 0) return false;
  let folded = 0;
  for (const line of content) {
    if (isSpace(line.charCodeAt(0)) || PERF_TIMESTAMP.test(line) || /:\s*$/.test(line)) return false;
    if (CALLGRIND_KEY.test(line)) return false;
    const m = FOLDED_LINE.test(line) ? parseLine(line) : null;
    if (!m) continue;
    const stack = m.diffStack ?? m.stack;
    // perf's `comm pid time: period` without a fractional timestamp still ends its prefix in ':';
    // callgrind cost lines ("16 400") have a number where the stack would be.
    if (!stack.endsWith(':') && !m.stack.endsWith(':') && !NUMERIC.test(stack)) folded++;
  }
  return folded * 2 >= content.length;
}

/** A count in plain decimal: the detector and flamegraph.pl do not read `1e-7`. */
export function plainDecimal(x: number): string {
  if (x < 0) return `-${plainDecimal(-x)}`;
  const s = String(x);
  const e = s.indexOf('e');
  if (e < 0) return s;
  if (Number.isInteger(x)) return BigInt(x).toString();
  // Only tiny fractions reach here ("1.25e-7"): shift the digits right.
  const digits = s.slice(0, e).replace('.', '');
  return `0.${'0'.repeat(-Number(s.slice(e + 1)) - 1)}${digits}`;
}

/** UTF-8 byte order equals code point order, which `<` on UTF-16 strings is not. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function* exportFolded(profile: Profile, options?: ExportOptions): Iterable<string> {
  const event = options?.event ?? 0;
  const { samples, stacks, frames, strings } = profile;
  // Sum per stack row first, so each distinct stack is spelled once, not once per sample.
  const byStack = new Map<number, number>();
  for (let i = 0; i < samples.length; i++) {
    const w = samples.weight[i];
    if (samples.event[i] !== event || samples.stack[i] < 0 || !Number.isFinite(w)) continue;
    byStack.set(samples.stack[i], (byStack.get(samples.stack[i]) ?? 0) + w);
  }
  const frameText = (f: number): string => {
    const name = strings[frames.name[f]].replace(/;/g, ':').replace(/[\r\n]/g, ' ');
    const ctx = frames.context[f];
    if (ctx === ExecContext.HostKernel || ctx === ExecContext.GuestKernel) return `${name}_[k]`;
    const dso = frames.dso[f];
    return dso >= 0 && DSO_HINT[strings[dso]] ? name + DSO_HINT[strings[dso]] : name;
  };
  // Different rows can spell the same line (frames that differ only in dso or context).
  const byLine = new Map<string, number>();
  for (const [leaf, weight] of byStack) {
    const parts: string[] = [];
    for (let s = leaf; s >= 0; s = stacks.prefix[s]) parts.push(frameText(stacks.frame[s]));
    const key = parts.reverse().join(';');
    byLine.set(key, (byLine.get(key) ?? 0) + weight);
  }
  const keys = [...byLine.keys()].sort(compareCodePoints);
  let batch: string[] = [];
  for (const key of keys) {
    const weight = byLine.get(key) as number;
    // Folded counts are non-negative and a zero line would import as nothing.
    if (!(weight > 0)) continue;
    batch.push(`${key} ${plainDecimal(weight)}\n`);
    if (batch.length === 4096) {
      yield batch.join('');
      batch = [];
    }
  }
  if (batch.length > 0) yield batch.join('');
}

export const foldedFormat: TraceFormat = {
  id: 'folded',
  name: 'folded stacks',
  extensions: ['folded', 'collapsed', 'txt'],
  detect: detectFolded,
  createImporter: createFoldedImporter,
  export: exportFolded,
  exportExtension: 'folded',
};
