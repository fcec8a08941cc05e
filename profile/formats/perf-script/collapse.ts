/**
 * Folding `perf script` text into folded stacks, byte-identical to
 * stackcollapse-perf.pl with the same options (--pid, --tid, --kernel, --jit,
 * --all, --addrs, --event-filter; not the addr2line-based --inline/--context
 * or --srcline).
 *
 * The record parser hands over every line in order (records.ts); this module
 * replays the Perl's per-line state machine on them, including its quirks,
 * because parity is the contract:
 * - a sample counts only when an empty line follows it: the last record of a
 *   file that does not end in an empty line is not counted;
 * - only lines that end in `event:` name an event: by default the first such
 *   event is kept and samples of other events are dropped (with a warning);
 *   lines without that ending (no time column, tracepoint payloads, stacks on
 *   the event line) are never filtered and weigh 1;
 * - a line is an event line only if it starts in column 0 (so padded comms of
 *   callchain-less output are read as stack lines, and ignored);
 * - stack lines accumulate until the empty line, across event lines.
 *
 * Speed: frame lines the parser vouches for skip the regex; each distinct
 * "symbol (dso)" text is tidied once and then mapped to interned names; stacks
 * go into a prefix tree keyed by numbers, and strings are built only for the
 * distinct stacks at the end.
 */
import {
  PERL_STACK_LINE,
  PerlEventIds,
  PerlPeriodEvent,
  type PerlTidyOptions,
  isPerlSpace,
  matchPerlEventLine,
  matchPerlPeriodEvent,
  perlFrameNames,
  stripPerlOffset,
} from './perl-rules';
import { ItemKind, type PerfRecord, PerfScriptRecordParser } from './records';
import { PairMap, RegionCache, detach } from './tables';

export interface CollapseOptions {
  /** Root frame `comm-pid` (`?` when the line has no pid). */
  pid?: boolean;
  /** Root frame `comm-pid/tid`. */
  tid?: boolean;
  /** `_[k]` on kernel frames. */
  kernel?: boolean;
  /** `_[j]` on perf-map JIT frames. */
  jit?: boolean;
  /** --kernel and --jit. */
  all?: boolean;
  /** `[dso <0xaddr>]` for unresolved frames. */
  addrs?: boolean;
  /** Keep only this event (exact name, modifiers included); default: the first. */
  eventFilter?: string;
}

export interface CollapseResult {
  /** Folded lines (`a;b;c 12`), sorted bytewise, without newlines. */
  lines: string[];
  /** Human-readable notes (dropped events, unrecognised lines) for stderr. */
  warnings: string[];
}

/** Compares by Unicode code point, i.e. by UTF-8 bytes, like Perl's `cmp` on the raw input. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800..DFFF, i.e. code points above U+FFFF) sort after U+E000..FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x < 0xe000 ? x + 0x2000 : x - 0x800;
      y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    }
    return x - y;
  }
  return a.length - b.length;
}

export class PerfScriptCollapser {
  private readonly parser: PerfScriptRecordParser;
  private readonly tidy: PerlTidyOptions;
  private readonly includePid: boolean;
  private readonly includeTid: boolean;
  private eventFilter: string;
  private eventDefaulted = false;
  private filteredOut = 0;
  private firstFilteredEvent = '';
  private unrecognized = 0;
  private firstUnrecognized = -1;

  /** Interned names; `names[i]` is a detached copy. */
  private readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();
  /**
   * "symbol+off (dso" → the names it yields, as 2 * name for one name, or
   * 2 * chain + 1 for an inline chain (or a skipped line: an empty chain).
   * The java tidy rule depends on the sample's comm, hence two caches.
   */
  private readonly plainCache = new RegionCache(detach);
  private readonly javaCache = new RegionCache(detach);
  private readonly chains: number[][] = [];

  // Perl state: $pname (undefined = no current sample), @stack, $m_period.
  private pname: string | undefined = undefined;
  private javaPname = false;
  private lastPname = '';
  private lastPnameId = -1;
  private period = 1;
  /**
   * Names of the current sample, leaf first, each stack line's names pushed
   * in reverse: read backwards, this is the Perl's @stack (root first, every
   * line's names in their own order).
   */
  private stack: number[] = [];

  // Prefix tree of folded stacks: node 0 is the root.
  private nodeParent: number[] = [-1];
  private nodeName: number[] = [-1];
  private nodeCount: number[] = [-1];
  private readonly children = new PairMap(4096);
  private big: Map<number, bigint> | null = null;

  private readonly ids = new PerlEventIds();
  private readonly pe = new PerlPeriodEvent();

  constructor(options: CollapseOptions = {}) {
    const all = options.all ?? false;
    this.tidy = {
      annotateKernel: all || (options.kernel ?? false),
      annotateJit: all || (options.jit ?? false),
      includeAddrs: options.addrs ?? false,
    };
    this.includePid = options.pid ?? false;
    this.includeTid = options.tid ?? false;
    this.eventFilter = options.eventFilter ?? '';
    this.parser = new PerfScriptRecordParser({
      record: (rec) => this.onRecord(rec),
      stray: (text, line) => this.line(text, line),
      blank: () => this.blank(),
    });
  }

  push(chunk: Uint8Array): void {
    this.parser.push(chunk);
  }

  finish(): CollapseResult {
    this.parser.end();
    return { lines: this.output(), warnings: this.warnings() };
  }

  private warnings(): string[] {
    const out: string[] = [];
    if (this.filteredOut > 0) {
      out.push(
        `kept only samples of event "${this.eventFilter}" (the first one seen); ` +
          `dropped ${this.filteredOut} sample${this.filteredOut === 1 ? '' : 's'} of other events ` +
          `such as "${this.firstFilteredEvent}" (choose one with --event-filter)`,
      );
    }
    if (this.unrecognized > 0) {
      out.push(
        `${this.unrecognized} unrecognized line${this.unrecognized === 1 ? '' : 's'} skipped ` +
          `(first at line ${this.firstUnrecognized})`,
      );
    }
    return out;
  }

  private intern(name: string): number {
    let i = this.nameIndex.get(name);
    if (i === undefined) {
      i = this.names.length;
      const kept = detach(name);
      this.names.push(kept);
      this.nameIndex.set(kept, i);
    }
    return i;
  }

  private pushNames(names: string[] | null): void {
    if (names === null) return;
    for (let k = names.length - 1; k >= 0; k--) this.stack.push(this.intern(names[k]));
  }

  private pushHandle(h: number): void {
    if ((h & 1) === 0) {
      this.stack.push(h >> 1);
      return;
    }
    const chain = this.chains[h >> 1];
    for (let k = chain.length - 1; k >= 0; k--) this.stack.push(chain[k]);
  }

  private unrecognizedLine(line: number): void {
    if (this.unrecognized++ === 0) this.firstUnrecognized = line;
  }

  /** `m/^$/`: end of a sample. */
  private blank(): void {
    if (this.pname === undefined) return;
    if (this.pname !== this.lastPname) {
      this.lastPname = this.pname;
      this.lastPnameId = this.intern(this.pname);
    }
    let node = this.child(0, this.lastPnameId);
    const stack = this.stack;
    for (let k = stack.length - 1; k >= 0; k--) node = this.child(node, stack[k]);
    this.add(node, this.period);
    stack.length = 0;
    this.pname = undefined;
  }

  private child(parent: number, name: number): number {
    let node = this.children.get(parent, name);
    if (node < 0) {
      node = this.nodeParent.length;
      this.nodeParent.push(parent);
      this.nodeName.push(name);
      this.nodeCount.push(-1);
      this.children.add(parent, name, node);
    }
    return node;
  }

  /** Perl sums integers exactly up to 2^64; past 2^53 switch that stack to BigInt. */
  private add(node: number, count: number): void {
    const big = this.big?.get(node);
    if (big !== undefined) {
      this.big!.set(node, big + BigInt(count));
      return;
    }
    const prev = this.nodeCount[node];
    const sum = prev < 0 ? count : prev + count;
    if (sum > Number.MAX_SAFE_INTEGER) {
      this.big ??= new Map();
      this.big.set(node, BigInt(prev < 0 ? 0 : prev) + BigInt(count));
      return;
    }
    this.nodeCount[node] = sum;
  }

  private onRecord(rec: PerfRecord): void {
    this.line(rec.eventLine, rec.line);
    const first = rec.frameOnEventLine ? 1 : 0;
    for (let i = first; i < rec.itemCount; i++) {
      const text = rec.itemText[i];
      if (rec.itemKind[i] === ItemKind.Frame && rec.perlExact[i] && isPerlSpace(text.charCodeAt(0))) {
        // Indented, so not an event line for the Perl; the parser's split is the regex's.
        if (this.pname !== undefined) this.frame(rec, i);
      } else {
        this.line(text, rec.itemLine[i]);
      }
    }
    if (rec.endedBy === 'blank') this.blank();
  }

  /** The frame fast path: the names of each distinct "symbol (dso" text are worked out once. */
  private frame(rec: PerfRecord, i: number): void {
    const text = rec.itemText[i];
    const rawEnd = rec.rawEnd[i];
    const empty = rec.symStart[i] === rawEnd;
    // An empty symbol: the regex's (.+) then takes the one blank before " (".
    const from = empty ? rawEnd - 1 : rec.symStart[i];
    const dsoEnd = rec.dsoEnd[i];
    // With --addrs an unresolved frame's name holds its address: not cacheable.
    if (this.tidy.includeAddrs) {
      const unknown = text.indexOf('[unknown]', from);
      if (unknown >= 0 && unknown < dsoEnd) {
        this.pushNames(this.tidyFrame(rec, i, from, empty));
        return;
      }
    }
    const cache = this.javaPname ? this.javaCache : this.plainCache;
    const hash = RegionCache.hash(rec.addrHash[i], dsoEnd - from);
    let h = cache.get(text, from, dsoEnd, hash);
    if (h < 0) {
      h = cache.resolve(text, from, dsoEnd, hash, () => {
        const names = this.tidyFrame(rec, i, from, empty);
        if (names !== null && names.length === 1) return this.intern(names[0]) * 2;
        this.chains.push(names === null ? [] : names.map((n) => this.intern(n)));
        return (this.chains.length - 1) * 2 + 1;
      });
    }
    this.pushHandle(h);
  }

  private tidyFrame(rec: PerfRecord, i: number, from: number, empty: boolean): string[] | null {
    const text = rec.itemText[i];
    const rawfunc = text.slice(from, empty ? rec.rawEnd[i] : rec.symEnd[i]);
    const mod = text.slice(rec.dsoStart[i], rec.dsoEnd[i]);
    const pc = text.slice(rec.addrStart[i], rec.addrEnd[i]);
    return perlFrameNames(rawfunc, mod, pc, this.javaPname, this.tidy);
  }

  /** Any other line, through the Perl's if/elsif chain. */
  private line(text: string, lineNumber: number): void {
    if (matchPerlEventLine(text, this.ids)) {
      this.eventLine(text);
      return;
    }
    const m = PERL_STACK_LINE.exec(text);
    if (!m) {
      this.unrecognizedLine(lineNumber);
      return;
    }
    if (this.pname === undefined) return;
    const rawfunc = stripPerlOffset(m[2]);
    this.pushNames(perlFrameNames(rawfunc, m[3], m[1], this.javaPname, this.tidy));
  }

  private eventLine(text: string): void {
    const ids = this.ids;
    let pid = ids.first;
    let tid = ids.second;
    // `if (not $tid)`: a missing or "0" tid means the line had only one id.
    if (tid === undefined || tid === '0') {
      tid = pid;
      pid = '?';
    }
    let periodText: string | undefined;
    if (matchPerlPeriodEvent(text, this.pe)) {
      periodText = this.pe.period;
      const event = this.pe.event;
      if (this.eventFilter === '') {
        this.eventFilter = event;
        this.eventDefaulted = true;
      } else if (event !== this.eventFilter) {
        if (this.eventDefaulted && this.filteredOut++ === 0) this.firstFilteredEvent = event;
        return;
      }
    }
    // `if (not $period) { $period = 1 }`
    this.period = periodText === undefined || periodText === '' || periodText === '0' ? 1 : Number(periodText);
    let pname = this.includeTid ? `${ids.comm}-${pid}/${tid}` : this.includePid ? `${ids.comm}-${pid}` : ids.comm;
    if (pname.includes(' ')) pname = pname.replaceAll(' ', '_');
    this.pname = pname;
    this.javaPname = pname === 'java';
  }

  private output(): string[] {
    const count = this.nodeParent.length;
    const nodes: number[] = [];
    const keys: string[] = [];
    const parts: string[] = [];
    let wide = false;
    for (let node = 1; node < count; node++) {
      if (this.nodeCount[node] < 0 && !this.big?.has(node)) continue;
      parts.length = 0;
      for (let n = node; n > 0; n = this.nodeParent[n]) parts.push(this.names[this.nodeName[n]]);
      // join() builds a flat string: comparing flat strings is a memcmp, while
      // concatenated (cons) strings would be flattened again on every compare.
      const key = parts.reverse().join(';');
      if (!wide) {
        for (let i = 0; i < key.length; i++) {
          if (key.charCodeAt(i) >= 0xd800) {
            wide = true;
            break;
          }
        }
      }
      nodes.push(node);
      keys.push(key);
    }
    // Stacks are unique keys: sorting them sorts the lines ("$k $collapsed{$k}").
    const order = nodes.map((_, i) => i);
    if (wide) order.sort((a, b) => compareCodePoints(keys[a], keys[b]));
    else order.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
    return order.map((i) => {
      const node = nodes[i];
      const big = this.big?.get(node);
      return `${keys[i]} ${big !== undefined ? big.toString() : this.nodeCount[node]}`;
    });
  }
}
