/**
 * Folding `perf script` text the way inferno-collapse-perf does (`guestperf
 * collapse --inferno`), byte-identical to it with the same options. Its line
 * rules are in inferno-rules.ts; this is its per-line state machine:
 * - a '#' in column 0 makes a comment; trailing whitespace is dropped, and
 *   a line left empty ends the sample (which counts if it has frames);
 * - outside a sample every line is read as an event line, inside one as a
 *   stack line: no column rules, no event-line check inside a sample;
 * - a sample filtered out by its event skips its stack lines up to the empty
 *   line; an event line with a frame on it is a whole sample;
 * - the last sample counts even when no empty line follows it;
 * - a sample weighs its period (0 weighs 0), 1 without one; sums wrap at 2^64.
 * Input is decoded as UTF-8, invalid bytes replaced, a BOM kept.
 */
import type { CollapseOptions, CollapseResult, Collapser } from './collapse';
import {
  InfernoEventParts,
  InfernoEventTail,
  InfernoStackParts,
  type InfernoTidyOptions,
  infernoEventParts,
  infernoEventTail,
  infernoFrameNames,
  infernoNamesNeedPc,
  infernoStackPc,
  rustTrimEnd,
} from './inferno-rules';
import { CollapseTally } from './collapse-tally';
import { FoldedTree } from './folded-tree';
import { compareCodePoints, detach } from './tables';

/** What a cached stack line folds to: name ids, last name first (empty: a skipped line); null: not a stack line. */
type FrameIds = number[] | null;

export class InfernoCollapser implements Collapser {
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private carry = '';
  /** The current line, 1-based. */
  private lineNumber = 0;
  private readonly tidy: InfernoTidyOptions;
  private readonly includePid: boolean;
  private readonly includeTid: boolean;

  // inferno's state: in_event, the stack filter, pname, period, the stack.
  private inEvent = false;
  private skip = false;
  private pname = '';
  private javaPname = false;
  private period: number | bigint | undefined = undefined;
  /** Name ids of the current sample, each line's names pushed last first: read backwards, root first. */
  private readonly stack: number[] = [];
  private eventFilter: string | undefined;
  private eventDefaulted = false;
  private readonly tally = new CollapseTally();

  private readonly eventParts = new InfernoEventParts();
  private readonly eventTail = new InfernoEventTail();
  private readonly stackParts = new InfernoStackParts();

  /** Text after the pc → names; the java tidy rule depends on the comm, hence two caches. */
  private readonly plainCache = new Map<string, FrameIds>();
  private readonly javaCache = new Map<string, FrameIds>();

  /** Counts are usize: they wrap at 2^64. */
  private readonly tree = new FoldedTree(true);

  constructor(options: CollapseOptions = {}) {
    const all = options.all ?? false;
    this.tidy = {
      annotateKernel: all || (options.kernel ?? false),
      annotateJit: all || (options.jit ?? false),
      includeAddrs: options.addrs ?? false,
    };
    this.includeTid = options.tid ?? false;
    this.includePid = this.includeTid || (options.pid ?? false);
    this.eventFilter = options.eventFilter;
  }

  push(chunk: Uint8Array): void {
    const text = this.carry + this.decoder.decode(chunk, { stream: true });
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      this.input(text.slice(start, nl));
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    this.carry = text.slice(start);
  }

  finish(): CollapseResult {
    const rest = this.carry + this.decoder.decode();
    this.carry = '';
    if (rest.length > 0) this.input(rest);
    if (this.stack.length > 0) this.afterEvent();
    return { lines: this.output(), warnings: this.tally.warnings(this.eventFilter) };
  }




  /** One line, without its '\n'. */
  private input(line: string): void {
    this.lineNumber++;
    if (line.charCodeAt(0) === 35) return;
    line = rustTrimEnd(line);
    if (line.length === 0) {
      this.afterEvent();
    } else if (this.inEvent) {
      this.stackLine(line);
    } else {
      this.eventLine(line);
      // An event line with its one frame on it.
      if (this.stack.length > 0) this.afterEvent();
    }
  }

  private eventLine(line: string): void {
    this.inEvent = true;
    const parts = this.eventParts;
    if (!infernoEventParts(line, parts)) {
      this.tally.unrecognizedLine(this.lineNumber);
      this.inEvent = false;
      return;
    }
    const tail = this.eventTail;
    infernoEventTail(line.slice(parts.end), tail);
    if (tail.event !== undefined) {
      this.period = tail.period;
      if (this.eventFilter === undefined) {
        this.eventFilter = tail.event;
        this.eventDefaulted = true;
      } else if (tail.event !== this.eventFilter) {
        if (this.eventDefaulted) this.tally.filtered(tail.event);
        this.skip = true;
        return;
      }
    }
    let pname = parts.comm.includes(' ') ? parts.comm.replaceAll(' ', '_') : parts.comm;
    if (this.includeTid) pname += `-${parts.pid}/${parts.tid}`;
    else if (this.includePid) pname += `-${parts.pid}`;
    this.pname = pname;
    this.javaPname = pname.startsWith('java');
    if (tail.stack !== undefined) {
      this.stackLine(tail.stack);
      this.inEvent = false;
    }
  }

  private stackLine(line: string): void {
    if (this.skip) return;
    const sp = this.stackParts;
    if (!infernoStackPc(line, sp)) {
      this.tally.unrecognizedLine(this.lineNumber);
      return;
    }
    let ids: FrameIds | undefined;
    if (infernoNamesNeedPc(sp.rest, this.tidy)) {
      ids = this.frameIds(sp.rest, sp.pc);
    } else {
      const cache = this.javaPname ? this.javaCache : this.plainCache;
      ids = cache.get(sp.rest);
      if (ids === undefined) {
        ids = this.frameIds(sp.rest, sp.pc);
        cache.set(detach(sp.rest), ids);
      }
    }
    if (ids === null) {
      this.tally.unrecognizedLine(this.lineNumber);
      return;
    }
    for (let k = 0; k < ids.length; k++) this.stack.push(ids[k]);
  }

  private frameIds(rest: string, pc: string): FrameIds {
    const names = infernoFrameNames(rest, pc, this.javaPname, this.tidy);
    if (names === undefined) return null;
    if (names === null) return [];
    const ids: number[] = [];
    for (let k = names.length - 1; k >= 0; k--) ids.push(this.tree.intern(names[k]));
    return ids;
  }

  /** The end of a sample: count it if it has frames, and start afresh. */
  private afterEvent(): void {
    const stack = this.stack;
    if (stack.length > 0) {
      let node = this.tree.child(0, this.tree.intern(this.pname));
      for (let k = stack.length - 1; k >= 0; k--) node = this.tree.child(node, stack[k]);
      this.tree.add(node, this.period ?? 1);
    }
    this.inEvent = false;
    this.skip = false;
    stack.length = 0;
    this.period = undefined;
  }



  private output(): string[] {
    const keys: string[] = [];
    const counts: (number | bigint)[] = [];
    this.tree.forEachStack((key, count) => {
      keys.push(key);
      counts.push(count);
    });
    const order = keys.map((_, i) => i).sort((a, b) => compareCodePoints(keys[a], keys[b]));
    // inferno keys its counts by the joined text: a comm with ';' in it can
    // make two paths of the tree one stack.
    const lines: string[] = [];
    let i = 0;
    while (i < order.length) {
      const key = keys[order[i]];
      let count = counts[order[i]];
      for (i++; i < order.length && keys[order[i]] === key; i++) {
        const more = counts[order[i]];
        count =
          typeof count === 'number' && typeof more === 'number' && count + more <= Number.MAX_SAFE_INTEGER
            ? count + more
            : BigInt.asUintN(64, BigInt(count) + BigInt(more));
      }
      lines.push(`${key} ${count}`);
    }
    return lines;
  }
}
