/**
 * Profile → `perf script` text that the importer (importer.ts) reads back.
 *
 * Layout, as tools/perf/builtin-script.c prints it:
 *
 *   # ========
 *   # event : name = cycles, exclude_guest = 1
 *   # ========
 *   #
 *   [VM:%5d VCPU:%03d ]comm %7d/%-7d [%03d] [misc] %5lu.%06lu: %10lu event:
 *   \t%16lx symbol (dso)            (leaf first)
 *   (empty line)
 *
 * Fields the profile lacks are left out (no cpu, no time, no period when the
 * weights are plain sample counts). Addresses are not kept by the model, so
 * they print as 0, except where a frame without a dso must be recognised as
 * kernel code: it gets a kernel-half address, which is how the importer tells
 * hidden kernel symbols apart.
 *
 * perf script has no context column: the importer derives a frame's context
 * from its dso, its name, its address and the sample's guest markers
 * (contexts.ts). The exporter runs the same rules on what it is about to
 * print and, where they would give another context than the profile holds,
 * prints a dso that gives the right one (`[kvm]` for the hypervisor, `[unknown]`
 * with a kernel or user address, `[guest.kernel.kallsyms.<pid>]` for a guest's
 * kernel). Guest samples of a known VMM pid whose whole callchain is the
 * guest's get perf >= 6.0's `VM:`/`VCPU:` fields (as `perf inject
 * --guest-data` files do); other guest samples are marked by their guest
 * kernel frames or by the `-F +misc` cpumode (G, g).
 */
import { ExecContext, type Profile } from '../../model';
import type { ExportOptions } from '../format';
import { FrameClass, classifyFrame } from './contexts';

/** Bytes per yielded chunk (a sample is never split). */
const CHUNK = 64 * 1024;

const ZERO_ADDR = '0'.padStart(16);
/** A kernel-half address that is not a PERF_CONTEXT_* marker (see isKernelAddress). */
const KERNEL_ADDR = 'ffffffff81000000';

const CPUMODE: Record<number, string> = {
  [ExecContext.HostUser]: 'U',
  [ExecContext.HostKernel]: 'K',
  [ExecContext.Hypervisor]: 'H',
  [ExecContext.GuestKernel]: 'G',
  [ExecContext.GuestUser]: 'g',
};

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** One line of text: perf script cannot hold a line break inside a field. */
function oneLine(s: string): string {
  return /[\r\n]/.test(s) ? s.replace(/[\r\n]+/g, ' ') : s;
}

/** `secs.usecs` (or nanoseconds when the time is not a whole microsecond). */
function formatTime(ns: number): string {
  const total = Math.round(ns);
  const secs = Math.floor(total / 1e9);
  const frac = total - secs * 1e9;
  const text = frac % 1000 === 0 ? String(frac / 1000).padStart(6, '0') : String(frac).padStart(9, '0');
  return `${String(secs).padStart(5)}.${text}`;
}

/** How the importer reads a frame, given the sample's side (mirror of frameContexts). */
interface Side {
  fromGuestPerf: boolean;
  guest: boolean;
}

/** The context the importer gives a frame of class `cls`, and whether it ends the guest part. */
function importedContext(cls: FrameClass, kernelAddr: boolean, side: Side, host: boolean): [number, boolean] {
  if (cls === FrameClass.GuestKernel) return [ExecContext.GuestKernel, host];
  const kernelish = cls === FrameClass.Kernel || cls === FrameClass.HostKernel || cls === FrameClass.Kvm;
  if (side.fromGuestPerf) return [kernelish || kernelAddr ? ExecContext.GuestKernel : ExecContext.GuestUser, host];
  if (!host && (cls === FrameClass.HostKernel || cls === FrameClass.Kvm)) host = true;
  if (!host) return [kernelish || kernelAddr ? ExecContext.GuestKernel : ExecContext.GuestUser, host];
  switch (cls) {
    case FrameClass.Kvm:
      return [ExecContext.Hypervisor, host];
    case FrameClass.Kernel:
    case FrameClass.HostKernel:
      return [ExecContext.HostKernel, host];
    case FrameClass.User:
      return [ExecContext.HostUser, host];
    default:
      return [kernelAddr ? ExecContext.HostKernel : ExecContext.Unknown, host];
  }
}

interface FrameOut {
  addr: string;
  symbol: string;
  dso: string;
}

/**
 * Writes profiles as perf script text. One instance per export: it caches
 * each frame's printed form per sample side.
 */
class PerfScriptWriter {
  private readonly leaf: number[] = [];
  private readonly out: FrameOut[] = [];

  constructor(private readonly p: Profile) {}

  header(events: readonly number[]): string {
    const lines = ['# ========', '# captured by : guestperf'];
    for (const e of events) {
      const ev = this.p.events[e];
      const pairs: string[] = [];
      for (const [k, v] of Object.entries(ev.attr)) {
        if (k === 'name' || /^exclude_/.test(k)) continue;
        pairs.push(`${oneLine(k)} = ${oneLine(v)}`);
      }
      for (const k of ['exclude_user', 'exclude_kernel', 'exclude_hv', 'exclude_guest', 'exclude_host'] as const) {
        if (ev[k]) pairs.push(`${k} = 1`);
      }
      lines.push(`# event : name = ${oneLine(ev.name)}, ${pairs.join(', ')}`);
    }
    lines.push('# ========', '#', '');
    return lines.join('\n');
  }

  /** The text of sample i (event line, callchain, empty line). */
  sample(i: number): string {
    const p = this.p;
    const s = p.samples;
    const t = s.thread[i];
    const machine = p.machines[p.threads.machine[t]];
    const guest = machine?.kind === 'guest';

    // Leaf first.
    const leaf = this.leaf;
    leaf.length = 0;
    for (let st = s.stack[i]; st >= 0; st = p.stacks.prefix[st]) leaf.push(p.stacks.frame[st]);

    const hasTime = Number.isFinite(s.time[i]) && s.time[i] >= 0;
    // perf inject's layout when the whole callchain is the guest's.
    let vm = guest && machine.pid >= 0;
    if (vm) {
      for (const f of leaf) {
        const c = p.frames.context[f];
        if (c !== ExecContext.GuestKernel && c !== ExecContext.GuestUser) vm = false;
      }
    }
    const side: Side = { fromGuestPerf: vm, guest };
    let host = !guest;
    let guestMarked = vm;
    const frames = this.out;
    frames.length = 0;
    for (let k = 0; k < leaf.length; k++) {
      const f = leaf[k];
      const want = p.frames.context[f];
      // The first guest kernel frame names the VMM by its pid.
      const pidDso =
        guest && !vm && !guestMarked && want === ExecContext.GuestKernel && !host
          ? machine.pid >= 0
            ? `[guest.kernel.kallsyms.${machine.pid}]`
            : '[guest.kernel.kallsyms]'
          : null;
      const out = this.frame(f, want, side, host, pidDso);
      host = out.host;
      if (out.guestKernelDso) guestMarked = true;
      frames.push(out.frame);
    }

    const ctx = s.context[i];
    const leafUnknown = leaf.length === 0 || p.frames.context[leaf[0]] === ExecContext.Unknown;
    let cpumode = '';
    if (hasTime && ((guest && !guestMarked) || (leafUnknown && ctx !== ExecContext.Unknown))) {
      cpumode = CPUMODE[ctx] ?? '';
      if (guest && cpumode !== 'G' && cpumode !== 'g') cpumode = 'G';
    }

    let line = '';
    if (vm) line += `VM:${String(machine.pid).padStart(5)} ${s.vcpu[i] >= 0 ? `VCPU:${String(s.vcpu[i]).padStart(3, '0')} ` : ''}`;
    const comm = oneLine(p.strings[p.threads.comm[t]] ?? '').trim();
    line += comm === '' ? ':-1' : comm;
    const pid = p.threads.pid[t];
    const tid = p.threads.tid[t];
    line += pid >= 0 ? ` ${String(pid).padStart(7)}/${String(tid).padEnd(7)}` : ` ${String(tid).padStart(7)}`;
    if (s.cpu[i] >= 0) line += ` [${String(s.cpu[i]).padStart(3, '0')}]`;
    if (cpumode) line += ` ${cpumode.padEnd(6)}`;
    if (hasTime) line += ` ${formatTime(s.time[i])}:`;
    const w = s.weight[i];
    if (!(p.meta.weightUnit === 'samples' && w === 1)) line += ` ${String(Math.max(0, Math.round(w))).padStart(10)}`;
    const ev = p.events[s.event[i]]?.name ?? '';
    if (ev !== '' && ev !== '[unknown]') line += ` ${oneLine(ev).replace(/\s+/g, '_')}: `;
    line += '\n';
    for (const fr of frames) line += `\t${fr.addr} ${fr.symbol} (${fr.dso})\n`;
    return line + '\n';
  }

  private frame(
    f: number,
    want: number,
    side: Side,
    host: boolean,
    forcedDso: string | null,
  ): { frame: FrameOut; host: boolean; guestKernelDso: boolean } {
    const p = this.p;
    const name = oneLine(p.strings[p.frames.name[f]] ?? '') || '[unknown]';
    const dsoIndex = p.frames.dso[f];
    const dso = dsoIndex >= 0 ? oneLine(p.strings[dsoIndex]) : null;

    const attempt = (d: string | null, kernelAddr: boolean) => {
      const cls = classifyFrame(d, name);
      const [ctx, nextHost] = importedContext(cls, kernelAddr, side, host);
      return { ok: ctx === want, host: nextHost, cls };
    };
    const candidates: (string | null)[] = [];
    if (forcedDso) candidates.push(forcedDso);
    candidates.push(dso);
    switch (want) {
      case ExecContext.Hypervisor:
        candidates.push('[kvm]');
        break;
      case ExecContext.HostKernel:
        candidates.push('[kernel.kallsyms]', null);
        break;
      case ExecContext.HostUser:
      case ExecContext.GuestUser:
        candidates.push(null, 'unknown');
        break;
      case ExecContext.GuestKernel:
        candidates.push(null, '[guest.kernel.kallsyms]');
        break;
      default:
        candidates.push(null);
    }
    // The name the importer gives a frame printed with dso d must stay `name`.
    const keepsName = (d: string | null) =>
      name !== '[unknown]' || d === null || d === '[unknown]' || basename(d) === 'unknown';
    let chosen: string | null = null;
    let kernelAddr = false;
    let found = false;
    let nextHost = host;
    let cls: FrameClass = FrameClass.Unknown;
    search: for (const d of candidates) {
      if (!keepsName(d)) continue;
      for (const ka of [false, true]) {
        // A kernel address only matters (and is only printed) for a frame without a dso.
        if (ka && d !== null && d !== '[unknown]') continue;
        const r = attempt(d, ka);
        if (r.ok) {
          chosen = d;
          kernelAddr = ka;
          nextHost = r.host;
          cls = r.cls;
          found = true;
          break search;
        }
      }
    }
    if (!found) {
      chosen = keepsName(dso) ? dso : null;
      const r = attempt(chosen, false);
      nextHost = r.host;
      cls = r.cls;
    }
    const printedDso = chosen ?? '[unknown]';
    // perf prints an unresolved symbol as [unknown]; the importer names it
    // after the dso's base name, which gives the profile's name back.
    let symbol = name;
    if (chosen !== null && name === `[${basename(chosen)}]`) symbol = '[unknown]';
    return {
      frame: { addr: kernelAddr ? KERNEL_ADDR : ZERO_ADDR, symbol, dso: printedDso },
      host: nextHost,
      guestKernelDso: cls === FrameClass.GuestKernel,
    };
  }
}

/** The Exporter of perfScriptFormat: header, then one record per sample, in ~64 KiB chunks. */
export function* exportPerfScript(profile: Profile, options?: ExportOptions): Generator<string> {
  const only = options?.event;
  const events = only === undefined ? profile.events.map((_, i) => i) : [only];
  const writer = new PerfScriptWriter(profile);
  let buf = writer.header(events);
  const { length, event } = profile.samples;
  for (let i = 0; i < length; i++) {
    if (only !== undefined && event[i] !== only) continue;
    buf += writer.sample(i);
    if (buf.length >= CHUNK) {
      yield buf;
      buf = '';
    }
  }
  if (buf.length > 0) yield buf;
}
