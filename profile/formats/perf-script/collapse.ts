/**
 * Folding `perf script` text into folded stacks, byte-identical to
 * stackcollapse-perf.pl with the same options (--pid, --tid, --kernel, --jit,
 * --all, --addrs, --event-filter; not the addr2line-based --inline/--context
 * or --srcline).
 *
 * This module splits the input into lines itself and replays the Perl's
 * per-line state machine on them, including its quirks, because parity is
 * the contract:
 * - a sample counts only when an empty line follows it: the last record of a
 *   file that does not end in an empty line is not counted;
 * - only lines that end in `event:` name an event: by default the first such
 *   event is kept and samples of other events are dropped (with a warning);
 *   lines without that ending (no time column, tracepoint payloads, stacks on
 *   the event line) are never filtered and weigh 1;
 * - a line is an event line only if it starts in column 0 (so padded comms of
 *   callchain-less output are read as stack lines, and ignored);
 * - stack lines accumulate until the empty line, across event lines.
 * Lines are decoded as UTF-8 (a leading BOM dropped) and a '\r' before the
 * '\n' is dropped, as the importer's line splitter does; lines of blanks
 * only are skipped without a warning.
 *
 * Speed: lines are ranges of the decoded chunk, never sliced unless they take
 * the general path; a callchain line is looked up by its text after the
 * address (collapse-frame.ts), so each distinct "symbol+0x… (dso)" is parsed
 * and tidied once and then maps to interned names; stacks go into a prefix
 * tree keyed by numbers, and strings are built only for the distinct stacks
 * at the end.
 */
import { FrameText, frameTextMatches, frameTextNames, perlStackLineNames, scanFrameText } from './collapse-frame';
import {
  PERL_STACK_LINE,
  PerlEventIds,
  PerlPeriodEvent,
  type PerlTidyOptions,
  matchPerlEventLine,
  matchPerlPeriodEvent,
} from './perl-rules';
import { CollapseTally } from './collapse-tally';
import { FoldedTree } from './folded-tree';
import { InfernoCollapser } from './inferno-collapse';
import { RegionCache, compareCodePoints, detach } from './tables';

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
  /** Fold as inferno-collapse-perf does instead (inferno-collapse.ts, inferno-rules.ts). */
  inferno?: boolean;
}

export interface CollapseResult {
  /** Folded lines (`a;b;c 12`), sorted bytewise, without newlines. */
  lines: string[];
  /** Human-readable notes (dropped events, unrecognised lines) for stderr. */
  warnings: string[];
}

/** A folder of perf script text, fed chunk by chunk. */
export interface Collapser {
  push(chunk: Uint8Array): void;
  finish(): CollapseResult;
}

/** The folder the options ask for: stackcollapse-perf.pl's rules, or with `inferno` inferno-collapse-perf's. */
export function createCollapser(options: CollapseOptions = {}): Collapser {
  return options.inferno ? new InfernoCollapser(options) : new PerfScriptCollapser(options);
}

/** Bytes decoded at a time (see push()). */
const PIECE = 64 * 1024;

/** A frame-text cache value: the line takes the general path. (Other values are name handles, >= 0.) */
const GENERAL = -2;

/** Only blanks (space, tab) in text[start, end). */
function blankOnly(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

export class PerfScriptCollapser implements Collapser {
  private readonly decoder = new TextDecoder('utf-8');
  /** The start of the next line, when the last chunk ended inside it. */
  private carry = '';
  /** 1-based number of the next line. */
  private lineNumber = 1;
  /**
   * The first " (" at or after the current line's frame text in the string
   * being split (its length when there is none), or -1: not searched yet.
   * Lines come in order, so one search serves every line up to the hit.
   */
  private nextOpen = -1;
  /** Scratch for scanFrameText(). */
  private readonly frameText = new FrameText();
  private readonly tidy: PerlTidyOptions;
  private readonly includePid: boolean;
  private readonly includeTid: boolean;
  private eventFilter: string;
  private eventDefaulted = false;
  private readonly tally = new CollapseTally();

  /** Root names (comm, comm-pid, ...) → interned name: a small map, looked up once per sample. */
  private readonly pnameIndex = new Map<string, number>();
  /**
   * Frame text ("symbol+off (dso)", see collapse-frame.ts) → the names it
   * yields, as 2 * name for one name, or 2 * chain + 1 for an inline chain (or
   * a skipped line: an empty chain); GENERAL when the fast path cannot vouch
   * for the line. The java tidy rule depends on the sample's comm, hence two
   * caches.
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

  /** Perl sums integers exactly. */
  private readonly tree = new FoldedTree(false);

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
  }

  push(chunk: Uint8Array): void {
    // Decoded in small pieces: a piece's text is still in the CPU cache when
    // its lines are read, and young strings reuse memory where a 1 MiB one
    // would take fresh pages every time.
    for (let at = 0; at < chunk.length; at += PIECE) this.pushPiece(chunk.subarray(at, at + PIECE));
  }

  private pushPiece(bytes: Uint8Array): void {
    // Lines are handed on as ranges of the decoded piece; only a line cut by
    // the piece's end is joined into a string of its own.
    const text = this.decoder.decode(bytes, { stream: true });
    let nl = text.indexOf('\n');
    if (nl === -1) {
      this.carry += text;
      return;
    }
    let start = 0;
    if (this.carry.length > 0) {
      const first = this.carry + text.slice(0, nl);
      this.carry = '';
      this.nextOpen = -1;
      this.input(first, 0, first.length);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    this.nextOpen = -1;
    while (nl !== -1) {
      this.input(text, start, nl);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    this.carry = text.slice(start);
  }

  finish(): CollapseResult {
    // The last line, if the input does not end in a newline (it still counts
    // as a line for the Perl, but no empty line follows it).
    const rest = this.carry + this.decoder.decode();
    this.carry = '';
    this.nextOpen = -1;
    if (rest.length > 0) this.input(rest, 0, rest.length);
    return { lines: this.output(), warnings: this.tally.warnings(this.eventFilter) };
  }



  private pushNames(names: string[] | null): void {
    if (names === null) return;
    for (let k = names.length - 1; k >= 0; k--) this.stack.push(this.tree.intern(names[k]));
  }

  private pushHandle(h: number): void {
    if ((h & 1) === 0) {
      this.stack.push(h >> 1);
      return;
    }
    const chain = this.chains[h >> 1];
    for (let k = chain.length - 1; k >= 0; k--) this.stack.push(chain[k]);
  }


  /** `m/^$/`: end of a sample. */
  private blank(): void {
    if (this.pname === undefined) return;
    if (this.pname !== this.lastPname) {
      this.lastPname = this.pname;
      let id = this.pnameIndex.get(this.pname);
      if (id === undefined) {
        id = this.tree.intern(this.pname);
        this.pnameIndex.set(this.tree.names[id], id);
      }
      this.lastPnameId = id;
    }
    let node = this.tree.child(0, this.lastPnameId);
    const stack = this.stack;
    for (let k = stack.length - 1; k >= 0; k--) node = this.tree.child(node, stack[k]);
    this.tree.add(node, this.period);
    stack.length = 0;
    this.pname = undefined;
  }



  /** One line: text[start, end) without its '\n'. */
  private input(text: string, start: number, end: number): void {
    const lineNumber = this.lineNumber++;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    if (start === end) {
      this.blank();
      return;
    }
    const c0 = text.charCodeAt(start);
    // `next if m/^#/`
    if (c0 === 35) return;
    // Indented lines are never event lines for the Perl: try the frame fast path.
    if (c0 === 32 || c0 === 9) {
      if (this.frame(text, start, end)) return;
      if (blankOnly(text, start, end)) return;
    }
    this.line(text.slice(start, end), lineNumber);
  }

  /**
   * The frame fast path: a callchain line is looked up by its frame text
   * (collapse-frame.ts), whose names are worked out once. Returns false when
   * the line must take the general path.
   */
  private frame(text: string, start: number, end: number): boolean {
    const ft = this.frameText;
    if (!scanFrameText(text, start, end, ft)) return false;
    const from = ft.start;
    if (this.pname === undefined) {
      // Outside a sample the Perl reads the line and skips it: only whether it
      // matches (or warns) counts, and that needs no lookup.
      if (this.nextOpen < from) {
        this.nextOpen = text.indexOf(' (', from);
        if (this.nextOpen === -1) this.nextOpen = text.length;
      }
      return frameTextMatches(text, this.nextOpen, end);
    }
    const cache = this.javaPname ? this.javaCache : this.plainCache;
    const hash = RegionCache.hash(ft.addrHash, end - from);
    let h = cache.get(text, from, end, hash);
    if (h === -1) h = cache.resolve(text, from, end, hash, () => this.frameHandle(text.slice(start, end)));
    if (h === GENERAL) return false;
    this.pushHandle(h);
    return true;
  }

  /** The cache value for a line's frame text. */
  private frameHandle(line: string): number {
    const names = frameTextNames(line, this.javaPname, this.tidy);
    if (names === undefined) return GENERAL;
    if (names !== null && names.length === 1) return this.tree.intern(names[0]) * 2;
    this.chains.push(names === null ? [] : names.map((n) => this.tree.intern(n)));
    return (this.chains.length - 1) * 2 + 1;
  }

  /** Any other line, through the Perl's if/elsif chain. */
  private line(text: string, lineNumber: number): void {
    if (matchPerlEventLine(text, this.ids)) {
      this.eventLine(text);
      return;
    }
    if (this.pname === undefined) {
      // Outside a sample a stack line is skipped: only whether it matches matters.
      if (!PERL_STACK_LINE.test(text)) this.tally.unrecognizedLine(lineNumber);
      return;
    }
    const names = perlStackLineNames(text, this.javaPname, this.tidy);
    if (names === undefined) this.tally.unrecognizedLine(lineNumber);
    else this.pushNames(names);
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
        if (this.eventDefaulted) this.tally.filtered(event);
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
    const keys: string[] = [];
    const counts: (number | bigint)[] = [];
    let wide = false;
    this.tree.forEachStack((key, count) => {
      if (!wide) {
        for (let i = 0; i < key.length; i++) {
          if (key.charCodeAt(i) >= 0xd800) {
            wide = true;
            break;
          }
        }
      }
      keys.push(key);
      counts.push(count);
    });
    // Stacks are unique keys: sorting them sorts the lines ("$k $collapsed{$k}").
    const order = keys.map((_, i) => i);
    if (wide) order.sort((a, b) => compareCodePoints(keys[a], keys[b]));
    // Keys are distinct: one comparison decides.
    else order.sort((a, b) => (a === b ? 0 : keys[a] < keys[b] ? -1 : 1));
    return order.map((i) => `${keys[i]} ${counts[i]}`);
  }
}
