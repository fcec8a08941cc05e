/**
 * Streaming record parser for `perf script` text: byte chunks in, one callback
 * per sample record out. Never holds more than one chunk and the lines of the
 * current record; the record object is reused, so a consumer copies (or
 * interns) what it keeps before returning from the callback.
 *
 * A record is an event line followed by its callchain lines and ends at an
 * empty line (perf prints one after every callchain), at the next event line
 * (output without `-g` has no empty lines), or at the end of the input.
 *
 * Every line of the input reaches the consumer, in order, exactly once: as a
 * record's event line or item, as a stray line (outside any record), as a
 * comment, or as a blank. The collapser relies on this to replay
 * stackcollapse-perf.pl's line-by-line rules; the importer to count what it
 * could not read.
 */
import { LineSplitter } from '../lines';
import { EventFields, isBlank, parseEventLine } from './event-line';
import { type FrameHead, type FrameSpan, isSrclineLine, newFrameSpan, parseFrameLine, scanFrameHead } from './frame-line';
import { type HeaderEvent, parseHeaderEvent } from './header';

/** What a non-event line of a record is. */
export const ItemKind = {
  /** A callchain frame (or the one frame printed on the event line). */
  Frame: 0,
  /** A `-F +srcline` line; it belongs to the frame before it. */
  Srcline: 1,
  /** Anything else: kept so nothing is dropped silently. */
  Other: 2,
} as const;
export type ItemKind = (typeof ItemKind)[keyof typeof ItemKind];

export type RecordEnd = 'blank' | 'event' | 'eof';

/** Bytes decoded at a time (see PerfScriptRecordParser.push()). */
const PIECE = 64 * 1024;

function blankOnly(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isBlank(text.charCodeAt(i))) return false;
  return true;
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** One sample record. Valid only during the callback that receives it. */
export class PerfRecord {
  /** 1-based line number of the event line. */
  line = 0;
  eventLine = '';
  fields = new EventFields();
  endedBy: RecordEnd = 'blank';
  /** The input ended in the middle of this record's last line (no newline). */
  cutMidLine = false;

  /** Lines after the event line, in input order (Frame items are leaf first). */
  itemCount = 0;
  readonly itemText: string[] = [];
  itemLine = new Int32Array(64);
  itemKind = new Uint8Array(64);
  /**
   * Frame items only (indices into itemText[i]): the address and its hash
   * (see FrameHead). The rest of a frame line (symbol, offset, dso) is split
   * only when asked for, by the accessors below: a consumer that caches by
   * the text after the address (itemText[i] from addrEnd[i]) splits each
   * distinct text once.
   */
  addrStart = new Int32Array(64);
  addrEnd = new Int32Array(64);
  addrHash = new Int32Array(64);
  /** Item 0 is the frame printed on the event line itself (no `-g`). */
  frameOnEventLine = false;
  frameCount = 0;
  /** The split of frame item `spanItem` (-1: none yet). */
  private readonly span = newFrameSpan();
  private spanItem = -1;

  reset(line: number, text: string): void {
    this.spanItem = -1;
    this.line = line;
    this.eventLine = text;
    this.itemCount = 0;
    this.frameCount = 0;
    this.frameOnEventLine = false;
    this.cutMidLine = false;
    this.itemText.length = 0;
  }

  private ensure(): void {
    if (this.itemCount < this.itemLine.length) return;
    this.itemLine = grow(this.itemLine);
    const kind = new Uint8Array(this.itemKind.length * 2);
    kind.set(this.itemKind);
    this.itemKind = kind;
    this.addrStart = grow(this.addrStart);
    this.addrEnd = grow(this.addrEnd);
    this.addrHash = grow(this.addrHash);
  }

  addFrame(text: string, line: number, head: FrameHead): void {
    this.ensure();
    const i = this.itemCount++;
    this.itemText.push(text);
    this.itemLine[i] = line;
    this.itemKind[i] = ItemKind.Frame;
    this.addrStart[i] = head.addrStart;
    this.addrEnd[i] = head.addrEnd;
    this.addrHash[i] = head.addrHash;
    this.frameCount++;
  }

  /** Frame item i split into symbol, offset and dso (see FrameSpan); the last split is kept. */
  private split(i: number): FrameSpan {
    if (this.spanItem !== i) {
      parseFrameLine(this.itemText[i], this.addrStart[i], this.span);
      this.spanItem = i;
    }
    return this.span;
  }

  addItem(kind: ItemKind, text: string, line: number): void {
    this.ensure();
    const i = this.itemCount++;
    this.itemText.push(text);
    this.itemLine[i] = line;
    this.itemKind[i] = kind;
  }

  /** Frame item i's address text (`ffffffff8103ce3b`). */
  address(i: number): string {
    return this.itemText[i].slice(this.addrStart[i], this.addrEnd[i]);
  }

  /** Frame item i's symbol without offset and surrounding blanks; '' if none. */
  symbol(i: number): string {
    const t = this.itemText[i];
    const span = this.split(i);
    let e = span.symEnd;
    const s = span.symStart;
    while (e > s && isBlank(t.charCodeAt(e - 1))) e--;
    return t.slice(s, e);
  }

  /** Frame item i's `+0x…` offset, '' when none was printed. */
  offset(i: number): string {
    const span = this.split(i);
    return this.itemText[i].slice(span.symEnd, span.rawEnd).trimEnd();
  }

  /** Frame item i's dso as printed inside the parentheses, null when absent. */
  dso(i: number): string | null {
    const span = this.split(i);
    return span.dsoStart < 0 ? null : this.itemText[i].slice(span.dsoStart, span.dsoEnd);
  }

  /** perf's pseudo-dso for inline frames: `__mmap64 (inlined)`. */
  isInlined(i: number): boolean {
    const span = this.split(i);
    return span.dsoEnd - span.dsoStart === 7 && this.itemText[i].startsWith('inlined', span.dsoStart);
  }

  /** The `-F +srcline` text that follows frame item i, or null. */
  srcline(i: number): string | null {
    const j = i + 1;
    return j < this.itemCount && this.itemKind[j] === ItemKind.Srcline ? this.itemText[j].trim() : null;
  }
}

export interface RecordSink {
  /** One sample record. */
  record(rec: PerfRecord): void;
  /** A non-empty line outside any record (before the first event line or after a blank). */
  stray?(text: string, line: number): void;
  /** A line starting with '#' (perf script --header, comments). */
  comment?(text: string, line: number): void;
  /** A `# event : name = …` header line, parsed (it also reaches comment()). */
  headerEvent?(event: HeaderEvent, line: number): void;
  /** An empty line that closes no record. */
  blank?(line: number): void;
}

export class PerfScriptRecordParser {
  private readonly splitter: LineSplitter;
  private readonly rec = new PerfRecord();
  private next = new EventFields();
  private readonly head: FrameHead = { addrStart: -1, addrEnd: -1, addrHash: 0, textStart: -1 };
  private inRecord = false;
  /** The `# event :` attribute maps seen so far, by event name (modifiers included). */
  readonly eventAttrs = new Map<string, Record<string, string>>();

  constructor(private readonly sink: RecordSink) {
    this.splitter = new LineSplitter((text, line) => this.onLine(text, line));
  }

  /** Lines handed out so far. */
  get lineCount(): number {
    return this.splitter.lineNumber - 1;
  }

  push(chunk: Uint8Array): void {
    // Decoded in small pieces: a piece's text is still in the CPU cache when
    // its lines are parsed, and young strings reuse memory where a 1 MiB one
    // would take fresh pages every time.
    for (let at = 0; at < chunk.length; at += PIECE) this.splitter.push(chunk.subarray(at, at + PIECE));
  }

  /** Flushes the last line and the last record (endedBy 'eof'). */
  end(): void {
    const partial = this.splitter.end();
    if (this.inRecord) {
      this.rec.cutMidLine = partial;
      this.close('eof');
    }
  }

  private close(how: RecordEnd): void {
    this.inRecord = false;
    this.rec.endedBy = how;
    this.sink.record(this.rec);
  }

  private open(text: string, line: number): void {
    if (this.inRecord) this.close('event');
    const rec = this.rec;
    rec.reset(line, text);
    // `next` holds the fields parseEventLine just filled: swap, don't copy.
    const fields = rec.fields;
    rec.fields = this.next;
    this.next = fields;
    this.inRecord = true;
    const p = rec.fields.payloadStart;
    if (p >= 0 && scanFrameHead(text, p, this.head)) {
      rec.addFrame(text, line, this.head);
      rec.frameOnEventLine = true;
    }
  }

  private onLine(text: string, line: number): void {
    const n = text.length;
    if (n === 0) {
      if (this.inRecord) this.close('blank');
      else this.sink.blank?.(line);
      return;
    }
    const c0 = text.charCodeAt(0);
    if (c0 === 35) {
      const ev = text.startsWith('# event') ? parseHeaderEvent(text) : null;
      if (ev) {
        this.eventAttrs.set(ev.name, ev.attr);
        this.sink.headerEvent?.(ev, line);
      }
      this.sink.comment?.(text, line);
      return;
    }
    if (!this.inRecord) {
      if (parseEventLine(text, this.next)) this.open(text, line);
      else if (!blankOnly(text)) this.sink.stray?.(text, line);
      return;
    }
    const rec = this.rec;
    const head = this.head;
    if (scanFrameHead(text, 0, head)) {
      // A padded event line (no callchain: comm is printed right-aligned in 16
      // columns) whose comm happens to be hex ("dd", "cafe") parses as a frame
      // too; its second token is the pid, which no symbol looks like.
      const s = head.textStart;
      const c = s < n ? text.charCodeAt(s) : 0;
      const maybeEvent = (c >= 48 && c <= 57) || (c0 !== 32 && c0 !== 9);
      if (!maybeEvent || !parseEventLine(text, this.next, c0 === 32 || c0 === 9)) {
        rec.addFrame(text, line, head);
        return;
      }
      this.open(text, line);
      return;
    }
    if (parseEventLine(text, this.next, c0 === 32 || c0 === 9)) {
      this.open(text, line);
      return;
    }
    const prev = rec.itemCount - 1;
    if (prev >= 0 && rec.itemKind[prev] === ItemKind.Frame && isSrclineLine(text)) {
      rec.addItem(ItemKind.Srcline, text, line);
      return;
    }
    // Blank-only lines carry nothing; they are not record separators either
    // (perf never prints them, and stackcollapse-perf.pl only ends a record on
    // a truly empty line).
    if (!blankOnly(text)) rec.addItem(ItemKind.Other, text, line);
  }
}
