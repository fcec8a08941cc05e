/**
 * perf script text → Profile, streaming, through ProfileBuilder.
 *
 * - Frames are merged by (name without offset, dso, execution context); an
 *   unresolved symbol is named the way stackcollapse-perf.pl names it
 *   (`[libc.so.6]` after the dso's base name, or `[unknown]`); a Java inline
 *   chain `a->b->c` becomes three frames; an `(inlined)` frame takes the dso of
 *   the real frame it was inlined into (the next one towards the root).
 * - Weight is the period when the line has one, else 1 (meta.weightUnit says
 *   which). Every event keeps its samples; nothing is filtered here.
 * - Contexts and machines: see contexts.ts.
 * - Damage is reported, not hidden: a record cut off by the end of the input
 *   is dropped with a warning (only whole records count, as in
 *   stackcollapse-perf.pl), and unreadable lines are counted into one warning.
 *
 * Hot-path rules: no string keys are built per sample; a callchain line is
 * looked up by its address hash and text (tables.ts), then everything else is
 * typed-array indexing; strings kept across records are detached copies, so no
 * kept string pins an input chunk.
 */
import { ProfileBuilder } from '../../builder';
import type { ExecContext, Profile } from '../../model';
import { type ImportOptions, ParseError, type StreamingImporter } from '../format';
import { looksLikeText } from '../lines';
import {
  FrameClass,
  classifyFrame,
  frameContexts,
  guestKernelPid,
  isKernelAddress,
  sampleContext,
} from './contexts';
import { eventModifiers, modifierBits } from './event-line';
import { type HeaderEvent, attrFlag } from './header';
import { ItemKind, type PerfRecord, PerfScriptRecordParser } from './records';
import { FrameInfos } from './frame-infos';
import { PairMap, RegionCache, detach } from './tables';

export const EVENT_LINE_HINT = 'expected a perf script event line like "comm pid [cpu] time: period event:"';

function quote(text: string): string {
  const t = text.trim();
  return JSON.stringify(t.length > 60 ? t.slice(0, 57) + '...' : t);
}

interface EventEntry {
  index: number;
  exclude_user: boolean;
  exclude_kernel: boolean;
  exclude_host: boolean;
  exclude_guest: boolean;
}

const CTX_SLOTS = 8;
const HEAD_BYTES = 1024;

class PerfScriptImporter implements StreamingImporter {
  private readonly builder = new ProfileBuilder();
  private readonly parser: PerfScriptRecordParser;
  private readonly frameCache = new RegionCache(detach);
  private readonly infos = new FrameInfos();
  /** Inlined frames take their dso per occurrence: (part * 8 + context, dso) → builder frame. */
  private readonly inlinedIds = new PairMap(256);
  /** (prefix stack + 1, builder frame) → builder stack, ahead of the builder's own Map. */
  private readonly stackCache = new PairMap(4096);
  private readonly events = new Map<string, EventEntry>();
  private readonly headerEvents: string[] = [];
  private readonly threads = new Map<number, { comm: string; pid: number; index: number }>();
  /** Guest machine by VMM pid (-1: the default guest). */
  private readonly machines = new Map<number, number>();
  private lastEvent = '\u0000';
  private lastEventEntry: EventEntry | null = null;

  /** The first bytes, until they are known to be text; null once passed on. */
  private head: Uint8Array[] | null = [];
  private headBytes = 0;
  private sawRecord = false;
  private sawContent = false;
  private periods = false;
  private unparsed = 0;
  private firstUnparsed = -1;
  private firstUnparsedText = '';

  // Per-sample scratch, leaf first: function (FrameInfos), class, kernel address, dso, inlined.
  private part = new Int32Array(256);
  private cls = new Uint8Array(256);
  private kernelAddr = new Uint8Array(256);
  private dsoOf = new Int32Array(256);
  private inl = new Uint8Array(256);
  private ctx = new Uint8Array(256);

  constructor(private readonly options: ImportOptions) {
    this.parser = new PerfScriptRecordParser({
      record: (rec) => this.onRecord(rec),
      stray: (text, line) => this.onStray(text, line),
      headerEvent: (ev) => this.onHeaderEvent(ev),
    });
  }

  push(chunk: Uint8Array): void {
    if (this.head === null) {
      this.parser.push(chunk);
      return;
    }
    // Hold the first KiB back until it can be told from binary data, however
    // small the chunks are.
    this.head.push(chunk.slice());
    this.headBytes += chunk.length;
    if (this.headBytes >= HEAD_BYTES) this.flushHead();
  }

  private flushHead(): void {
    const parts = this.head ?? [];
    this.head = null;
    const bytes = new Uint8Array(this.headBytes);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    if (bytes.length > 0 && !looksLikeText(bytes)) {
      const magic = String.fromCharCode(...bytes.subarray(0, 7));
      throw new ParseError(
        this.options.fileName,
        -1,
        magic === 'PERFILE'
          ? 'this is a binary perf.data file: convert it with "perf script" first'
          : 'binary data, not perf script text',
      );
    }
    this.parser.push(bytes);
  }

  finish(): Profile {
    if (this.head !== null) this.flushHead();
    this.parser.end();
    const file = this.options.fileName;
    if (!this.sawContent) {
      throw new ParseError(file, -1, this.headBytes > 0 ? 'no samples: only comments and blank lines' : 'empty file');
    }
    if (this.unparsed > 0) {
      this.builder.warn(
        this.firstUnparsed,
        `${this.unparsed} line${this.unparsed === 1 ? '' : 's'} could not be read as perf script and ` +
          `${this.unparsed === 1 ? 'was' : 'were'} skipped (first at line ${this.firstUnparsed}: ${this.firstUnparsedText})`,
      );
    }
    return this.builder.build({ name: file, source: 'perf-script', weightUnit: this.periods ? 'events' : 'samples' });
  }

  private noteUnparsed(text: string, line: number): void {
    if (this.unparsed++ === 0) {
      this.firstUnparsed = line;
      this.firstUnparsedText = quote(text);
    }
  }

  private onStray(text: string, line: number): void {
    if (!this.sawRecord) throw new ParseError(this.options.fileName, line, `${EVENT_LINE_HINT}, found ${quote(text)}`);
    this.noteUnparsed(text, line);
  }

  private onHeaderEvent(ev: HeaderEvent): void {
    const mods = modifierBits(eventModifiers(ev.name));
    const bit = (key: 'exclude_user' | 'exclude_kernel' | 'exclude_hv' | 'exclude_guest' | 'exclude_host') =>
      key in ev.attr ? attrFlag(ev.attr, key) : mods[key];
    const info = {
      attr: ev.attr,
      exclude_user: bit('exclude_user'),
      exclude_kernel: bit('exclude_kernel'),
      exclude_hv: bit('exclude_hv'),
      exclude_guest: bit('exclude_guest'),
      exclude_host: bit('exclude_host'),
    };
    const index = this.builder.event(ev.name, info);
    this.headerEvents.push(ev.name);
    this.events.set(ev.name, { index, ...info });
  }

  private eventEntry(name: string): EventEntry {
    if (name === this.lastEvent && this.lastEventEntry) return this.lastEventEntry;
    let entry = this.events.get(name);
    if (!entry) {
      // No event column: perf's own placeholder, or the only event the header lists.
      const full = name === '' ? (this.headerEvents.length === 1 ? this.headerEvents[0] : '[unknown]') : detach(name);
      entry = this.events.get(full);
      if (!entry) {
        const bits = modifierBits(eventModifiers(full));
        const index = this.builder.event(full, {
          exclude_user: bits.exclude_user,
          exclude_kernel: bits.exclude_kernel,
          exclude_hv: bits.exclude_hv,
          exclude_guest: bits.exclude_guest,
          exclude_host: bits.exclude_host,
        });
        entry = { index, ...bits };
      }
      this.events.set(full, entry);
      if (name !== full) this.events.set(name === '' ? '' : detach(name), entry);
    }
    this.lastEvent = name;
    this.lastEventEntry = entry;
    return entry;
  }

  /** The FrameInfos index of frame item i (one cache probe on the hot path). */
  private frameInfo(rec: PerfRecord, i: number): number {
    const text = rec.itemText[i];
    // The text after the address (" symbol+off (dso)") decides the info.
    const from = rec.addrEnd[i];
    const to = text.length;
    const hash = RegionCache.hash(rec.addrHash[i], to - from);
    const index = this.frameCache.get(text, from, to, hash);
    return index >= 0 ? index : this.frameCache.resolve(text, from, to, hash, () => this.newFrameInfo(rec, i));
  }

  private newFrameInfo(rec: PerfRecord, i: number): number {
    const sym = rec.symbol(i);
    const dso = rec.dso(i);
    const inlined = rec.isInlined(i);
    let names: string[];
    if (sym === '' || sym === '[unknown]') {
      names = [dso !== null && dso !== '[unknown]' && !inlined ? `[${dso.slice(dso.lastIndexOf('/') + 1)}]` : '[unknown]'];
    } else {
      names = sym.includes('->') ? sym.split('->').filter((s) => s.length > 0) : [sym];
      if (names.length === 0) names = [sym];
    }
    const keptDso = dso === null || dso === '[unknown]' || inlined ? null : detach(dso);
    const cls = inlined ? FrameClass.Unknown : classifyFrame(keptDso, names[names.length - 1]);
    return this.infos.add(names.map(detach), keptDso, cls, inlined);
  }

  private ensureScratch(n: number): void {
    if (n <= this.cls.length) return;
    const size = Math.max(n, this.cls.length * 2);
    const part = new Int32Array(size);
    part.set(this.part);
    this.part = part;
    const cls = new Uint8Array(size);
    cls.set(this.cls);
    this.cls = cls;
    const kernelAddr = new Uint8Array(size);
    kernelAddr.set(this.kernelAddr);
    this.kernelAddr = kernelAddr;
    const dsoOf = new Int32Array(size);
    dsoOf.set(this.dsoOf);
    this.dsoOf = dsoOf;
    const inl = new Uint8Array(size);
    inl.set(this.inl);
    this.inl = inl;
    this.ctx = new Uint8Array(size);
  }

  private onRecord(rec: PerfRecord): void {
    this.sawRecord = true;
    this.sawContent = true;
    const f = rec.fields;
    // A file that ends on a complete line keeps its last sample even without
    // the usual empty line (stackcollapse-perf.pl drops it; collapse.ts does
    // too, for byte-identical output). A line cut off mid-way is truncation.
    if (rec.endedBy === 'eof' && rec.cutMidLine) {
      this.builder.warn(
        rec.line,
        `the file is truncated: it ends in the middle of a line of the sample that starts at line ${rec.line}: ` +
          `dropped it (${JSON.stringify(f.comm.trim())} ${f.pid >= 0 ? `${f.pid}/` : ''}${f.tid}, ` +
          `${rec.frameCount} frame${rec.frameCount === 1 ? '' : 's'}) as it may be incomplete`,
      );
      return;
    }
    const event = this.eventEntry(f.event);
    if (!Number.isNaN(f.period)) this.periods = true;

    // Frames, leaf first; unreadable lines are counted, srclines skipped.
    const infos = this.infos;
    let count = 0;
    let guestPid = -2; // -2: no guest kernel frame; -1: the default guest
    this.ensureScratch(rec.frameCount + 1);
    for (let i = 0; i < rec.itemCount; i++) {
      const kind = rec.itemKind[i];
      if (kind === ItemKind.Other) this.noteUnparsed(rec.itemText[i], rec.itemLine[i]);
      if (kind !== ItemKind.Frame) continue;
      const fi = this.frameInfo(rec, i);
      const cls = infos.cls(fi);
      const kernel = cls === FrameClass.Unknown && isKernelAddress(rec.itemText[i], rec.addrStart[i], rec.addrEnd[i]);
      if (cls === FrameClass.GuestKernel && guestPid === -2) guestPid = guestKernelPid(infos.dsos[infos.dso(fi)] as string);
      const first = infos.firstPart(fi);
      const inlined = infos.inlined(fi) ? 1 : 0;
      const dso = infos.dso(fi);
      // Leaf first: a chain a->b->c (c innermost) is pushed c, b, a.
      for (let p = infos.parts(fi) - 1; p >= 0; p--) {
        this.ensureScratch(count + 1);
        this.part[count] = infos.func(first + p);
        this.cls[count] = cls;
        this.kernelAddr[count] = kernel ? 1 : 0;
        this.dsoOf[count] = dso;
        this.inl[count] = inlined;
        count++;
      }
    }
    // Inlined frames belong to the real frame they were inlined into, which
    // perf prints next (towards the root).
    for (let i = count - 2; i >= 0; i--) {
      if (this.inl[i]) {
        this.dsoOf[i] = this.dsoOf[i + 1];
        this.cls[i] = this.cls[i + 1];
        this.kernelAddr[i] = this.kernelAddr[i + 1];
      }
    }

    // Which machine: machine_pid, a guest kernel frame, a guest cpumode, or an
    // event that only counts while a guest runs (exclude_host, `:G`).
    let machine = 0;
    const fromGuestPerf = f.machinePid >= 0;
    const guest =
      fromGuestPerf ||
      guestPid !== -2 ||
      f.cpumode.includes('G') ||
      f.cpumode.includes('g') ||
      (event.exclude_host && !event.exclude_guest);
    if (guest) {
      const pid = fromGuestPerf ? f.machinePid : guestPid >= 0 ? guestPid : -1;
      machine = this.machines.get(pid) ?? -1;
      if (machine < 0) {
        machine = this.builder.machine(pid >= 0 ? `guest-${pid}` : 'guest', 'guest', pid);
        this.machines.set(pid, machine);
      }
    }
    frameContexts(this.cls, this.kernelAddr, count, { guest, fromGuestPerf }, this.ctx);
    const context = sampleContext(this.ctx, count, f.cpumode, event, guest);

    let stack = -1;
    for (let i = count - 1; i >= 0; i--) {
      const func = this.part[i];
      const c = this.ctx[i];
      const slot = func * CTX_SLOTS + c;
      let id: number;
      if (this.inl[i]) {
        id = this.inlinedIds.get(slot, this.dsoOf[i]);
        if (id < 0) {
          id = this.builder.frame(infos.funcNames[func], infos.dsos[this.dsoOf[i]], c as ExecContext);
          this.inlinedIds.add(slot, this.dsoOf[i], id);
        }
      } else {
        id = infos.funcIds[slot];
        if (id < 0) id = infos.funcIds[slot] = this.builder.frame(infos.funcNames[func], infos.dsos[infos.funcDso[func]], c as ExecContext);
      }
      let next = this.stackCache.get(stack + 1, id);
      if (next < 0) {
        next = this.builder.stack(stack, id);
        this.stackCache.add(stack + 1, id, next);
      }
      stack = next;
    }

    this.builder.sample({
      stack,
      time: f.time,
      weight: Number.isNaN(f.period) ? 1 : f.period,
      event: event.index,
      cpu: f.cpu,
      thread: this.thread(f.comm, f.pid, f.tid, machine),
      vcpu: f.vcpu,
      context,
    });
  }

  private thread(comm: string, pid: number, tid: number, machine: number): number {
    const key = machine * 4294967296 + (tid + 1);
    const t = this.threads.get(key);
    if (t && t.comm === comm && t.pid === pid) return t.index;
    const kept = detach(comm.trim());
    const index = this.builder.thread(kept, pid, tid, machine);
    this.threads.set(key, { comm: detach(comm), pid, index });
    return index;
  }
}

export function createPerfScriptImporter(options: ImportOptions): StreamingImporter {
  return new PerfScriptImporter(options);
}
