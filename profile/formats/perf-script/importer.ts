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
 * Hot-path rules: no string keys are built per sample or per frame; a frame
 * line is looked up by one substring (symbol to dso) and the strings kept by
 * the builder are detached copies, so no kept string pins an input chunk.
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
import { attrFlag, parseHeaderEvent } from './header';
import { ItemKind, type PerfRecord, PerfScriptRecordParser } from './records';
import { PairMap, RegionCache, detach } from './tables';

export const EVENT_LINE_HINT = 'expected a perf script event line like "comm pid [cpu] time: period event:"';

function quote(text: string): string {
  const t = text.trim();
  return JSON.stringify(t.length > 60 ? t.slice(0, 57) + '...' : t);
}

interface FrameInfo {
  /** Names of the frame (more than one for a Java inline chain), root first. */
  names: string[];
  dso: string | null;
  cls: FrameClass;
  inlined: boolean;
  /** Builder frame per (name, context): ids[part * 8 + context], -1 = not yet. */
  ids: Int32Array;
}

interface EventEntry {
  index: number;
  exclude_user: boolean;
  exclude_kernel: boolean;
  exclude_host: boolean;
  exclude_guest: boolean;
}

const CTX_SLOTS = 8;

class PerfScriptImporter implements StreamingImporter {
  private readonly builder = new ProfileBuilder();
  private readonly parser: PerfScriptRecordParser;
  private readonly frameCache = new RegionCache(detach);
  private readonly frameInfos: FrameInfo[] = [];
  /** (prefix stack + 1, builder frame) → builder stack, ahead of the builder's own Map. */
  private readonly stackCache = new PairMap(4096);
  private readonly events = new Map<string, EventEntry>();
  private readonly headerEvents: string[] = [];
  private readonly threads = new Map<number, { comm: string; pid: number; index: number }>();
  private lastEvent = '\u0000';
  private lastEventEntry: EventEntry | null = null;

  private sawBytes = false;
  private sawRecord = false;
  private sawContent = false;
  private periods = false;
  private unparsed = 0;
  private firstUnparsed = -1;
  private firstUnparsedText = '';

  // Per-sample scratch, leaf first.
  private info: FrameInfo[] = [];
  private part: number[] = [];
  private cls = new Uint8Array(256);
  private kernelAddr = new Uint8Array(256);
  private ctx = new Uint8Array(256);
  private physDso: (string | null)[] = [];

  constructor(private readonly options: ImportOptions) {
    this.parser = new PerfScriptRecordParser({
      record: (rec) => this.onRecord(rec),
      stray: (text, line) => this.onStray(text, line),
      comment: (text) => this.onComment(text),
    });
  }

  push(chunk: Uint8Array): void {
    if (!this.sawBytes && chunk.length > 0) {
      this.sawBytes = true;
      if (!looksLikeText(chunk)) {
        const magic = String.fromCharCode(...chunk.subarray(0, 8));
        throw new ParseError(
          this.options.fileName,
          -1,
          magic.startsWith('PERFILE')
            ? 'this is a binary perf.data file: convert it with "perf script" first'
            : 'binary data, not perf script text',
        );
      }
    }
    this.parser.push(chunk);
  }

  finish(): Profile {
    this.parser.end();
    const file = this.options.fileName;
    if (!this.sawContent) throw new ParseError(file, -1, this.sawBytes ? 'no samples: only comments or blank lines' : 'empty file');
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

  private onComment(text: string): void {
    const ev = parseHeaderEvent(text);
    if (!ev) return;
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

  private frameInfo(rec: PerfRecord, i: number): FrameInfo {
    const text = rec.itemText[i];
    const from = rec.symStart[i];
    const to = text.length;
    const hash = RegionCache.hash(rec.addrHash[i], to - from);
    let index = this.frameCache.get(text, from, to, hash);
    if (index < 0) index = this.frameCache.resolve(text, from, to, hash, () => this.newFrameInfo(rec, i));
    return this.frameInfos[index];
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
    const keptDso = dso === null || dso === '[unknown]' ? null : detach(dso);
    this.frameInfos.push({
      names: names.map(detach),
      dso: keptDso,
      cls: inlined ? FrameClass.Unknown : classifyFrame(keptDso, names[names.length - 1]),
      inlined,
      ids: new Int32Array(names.length * CTX_SLOTS).fill(-1),
    });
    return this.frameInfos.length - 1;
  }

  private ensureScratch(n: number): void {
    if (n <= this.cls.length) return;
    const size = Math.max(n, this.cls.length * 2);
    const cls = new Uint8Array(size);
    cls.set(this.cls);
    this.cls = cls;
    const kernelAddr = new Uint8Array(size);
    kernelAddr.set(this.kernelAddr);
    this.kernelAddr = kernelAddr;
    this.ctx = new Uint8Array(size);
  }

  private onRecord(rec: PerfRecord): void {
    this.sawRecord = true;
    this.sawContent = true;
    const f = rec.fields;
    const callchain = rec.frameCount - (rec.frameOnEventLine ? 1 : 0);
    if (rec.endedBy === 'eof' && (rec.cutMidLine || callchain > 0)) {
      this.builder.warn(
        rec.line,
        `the input ends inside the sample that starts at line ${rec.line} ` +
          `(${rec.cutMidLine ? 'in the middle of a line' : 'no empty line after its callchain'}): ` +
          `dropped it (${JSON.stringify(f.comm.trim())} ${f.pid >= 0 ? `${f.pid}/` : ''}${f.tid}, ` +
          `${rec.frameCount} frame${rec.frameCount === 1 ? '' : 's'}) as it may be incomplete`,
      );
      return;
    }
    const event = this.eventEntry(f.event);
    if (!Number.isNaN(f.period)) this.periods = true;

    // Frames, leaf first; unreadable lines are counted, srclines skipped.
    const info = this.info;
    const part = this.part;
    const physDso = this.physDso;
    info.length = 0;
    part.length = 0;
    physDso.length = 0;
    let count = 0;
    let guestPid = -2; // -2: no guest kernel frame; -1: the default guest
    this.ensureScratch(rec.frameCount + 1);
    for (let i = 0; i < rec.itemCount; i++) {
      const kind = rec.itemKind[i];
      if (kind === ItemKind.Other) this.noteUnparsed(rec.itemText[i], rec.itemLine[i]);
      if (kind !== ItemKind.Frame) continue;
      const fi = this.frameInfo(rec, i);
      const kernel = fi.cls === FrameClass.Unknown && isKernelAddress(rec.itemText[i], rec.addrStart[i], rec.addrEnd[i]);
      if (fi.cls === FrameClass.GuestKernel && guestPid === -2) guestPid = guestKernelPid(fi.dso as string);
      // Leaf first: a chain a->b->c (c innermost) is pushed c, b, a.
      for (let p = fi.names.length - 1; p >= 0; p--) {
        this.ensureScratch(count + 1);
        info[count] = fi;
        part[count] = p;
        this.cls[count] = fi.cls;
        this.kernelAddr[count] = kernel ? 1 : 0;
        physDso[count] = fi.dso;
        count++;
      }
    }
    // Inlined frames belong to the real frame they were inlined into, which
    // perf prints next (towards the root).
    for (let i = count - 2; i >= 0; i--) {
      if (info[i].inlined) {
        physDso[i] = physDso[i + 1];
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
      machine = this.builder.machine(pid >= 0 ? `guest-${pid}` : 'guest', 'guest', pid);
    }
    frameContexts(this.cls, this.kernelAddr, count, { guest, fromGuestPerf }, this.ctx);
    const context = sampleContext(this.ctx, count, f.cpumode, event, guest);

    let stack = -1;
    for (let i = count - 1; i >= 0; i--) {
      const fi = info[i];
      const c = this.ctx[i];
      let id: number;
      if (fi.inlined) {
        id = this.builder.frame(fi.names[part[i]], physDso[i], c as ExecContext);
      } else {
        const slot = part[i] * CTX_SLOTS + c;
        id = fi.ids[slot];
        if (id < 0) id = fi.ids[slot] = this.builder.frame(fi.names[part[i]], fi.dso, c as ExecContext);
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
