/**
 * speedscope's own file format (jlfwong/speedscope src/lib/file-format-spec.ts,
 * schema https://www.speedscope.app/file-format-schema.json):
 *
 *   { $schema, shared: { frames: [{name, file?, line?, col?}] },
 *     profiles: [ {type: "sampled", name, unit, startValue, endValue, samples: [[root..leaf]], weights}
 *               | {type: "evented", name, unit, startValue, endValue, events: [{type: "O"|"C", at, frame}]} ] }
 *
 * Each profile becomes one thread. Evented profiles become samples: every
 * interval between two events is a sample on the stack open during it,
 * weighted by its length, so both kinds meet in the same flame graph.
 *
 * guestperf writes one sampled profile per (event, thread) and records what
 * the format has no field for (event, comm/pid/tid, execution context) in
 * `guestperf` properties, which speedscope ignores and the schema allows
 * (it does not forbid additional properties). Files from other tools have
 * none, and each profile's unit then names its event.
 */
import { ProfileBuilder } from '../builder';
import { EXEC_CONTEXT_NAMES, ExecContext, type Profile, type ProfileMeta } from '../model';
import { ParseError, type ExportOptions, type ImportOptions, type StreamingImporter, type TraceFormat } from './format';

/**
 * The whole file is decoded into one string for JSON.parse. V8 caps a string
 * near 512 MiB (2^29 UTF-16 units; speedscope PR #385), and the parsed object
 * graph costs several times the text, so refuse well before that.
 */
export const SPEEDSCOPE_MAX_BYTES = 256 * 1024 * 1024;

const SCHEMA = 'https://www.speedscope.app/file-format-schema.json';
const NS_PER_UNIT: Record<string, number> = { nanoseconds: 1, microseconds: 1e3, milliseconds: 1e6, seconds: 1e9 };
const UNITS = new Set(['none', 'bytes', ...Object.keys(NS_PER_UNIT)]);

type Json = unknown;
type JsonObject = Record<string, Json>;
const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Perf's dso naming says where a frame ran when the file has no guestperf context. */
function contextFromFile(file: string | null): ExecContext {
  if (file === null) return ExecContext.HostUser;
  if (file.startsWith('[guest.kernel')) return ExecContext.GuestKernel;
  if (file === '[kernel.kallsyms]' || file.endsWith('.ko') || /(?:^|\/)vmlinux[^/]*$/.test(file)) return ExecContext.HostKernel;
  return ExecContext.HostUser;
}

/** Validation and conversion of a parsed file; every error names its JSON path. */
class SpeedscopeReader {
  readonly b = new ProfileBuilder();
  /** Per shared frame: its builder frame, name and context. */
  private readonly frames: number[] = [];
  private readonly frameNames: string[] = [];
  private readonly frameContexts: ExecContext[] = [];
  private readonly threadNames = new Set<string>();
  private readonly units = new Set<string>();

  constructor(private readonly fileName: string) {}

  fail(path: string, reason: string): never {
    throw new ParseError(this.fileName, -1, `${path}: ${reason}`);
  }

  read(file: Json): Profile {
    if (!isObject(file)) this.fail('$', 'expected a speedscope file object');
    const shared = file.shared;
    if (!isObject(shared) || !Array.isArray(shared.frames)) this.fail('shared.frames', 'expected an array of frames');
    shared.frames.forEach((f, i) => this.frame(f, `shared.frames[${i}]`));
    if (!Array.isArray(file.profiles)) this.fail('profiles', 'expected an array of profiles');
    file.profiles.forEach((p, i) => this.profile(p, `profiles[${i}]`, i));
    const ext = isObject(file.guestperf) ? file.guestperf : {};
    return this.b.build({ name: this.fileName, source: 'speedscope', weightUnit: this.weightUnit(ext.weightUnit) });
  }

  private weightUnit(declared: Json): ProfileMeta['weightUnit'] {
    if (declared === 'samples' || declared === 'events' || declared === 'ns') return declared;
    if (this.units.size > 0 && [...this.units].every((u) => u in NS_PER_UNIT)) return 'ns';
    if (this.units.size === 0 || (this.units.size === 1 && this.units.has('none'))) return 'samples';
    if (this.units.size > 1) this.b.warn(-1, `profiles mix units (${[...this.units].join(', ')}); each unit is its own event`);
    return 'events';
  }

  private frame(f: Json, path: string): void {
    if (!isObject(f)) this.fail(path, 'expected a frame object');
    if (typeof f.name !== 'string') this.fail(`${path}.name`, 'expected a string');
    if (f.file !== undefined && typeof f.file !== 'string') this.fail(`${path}.file`, 'expected a string');
    const file = typeof f.file === 'string' ? f.file : null;
    const named = EXEC_CONTEXT_NAMES.indexOf(f.guestperfContext as (typeof EXEC_CONTEXT_NAMES)[number]);
    const context = named >= 0 ? (named as ExecContext) : contextFromFile(file);
    this.frames.push(this.b.frame(f.name, file, context));
    this.frameNames.push(f.name);
    this.frameContexts.push(context);
  }

  private frameIndex(v: Json, path: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= this.frames.length) {
      this.fail(path, `frame index ${JSON.stringify(v)} out of range (${this.frames.length} frames)`);
    }
    return v;
  }

  private profile(p: Json, path: string, index: number): void {
    if (!isObject(p)) this.fail(path, 'expected a profile object');
    const unit = p.unit ?? 'none';
    if (typeof unit !== 'string' || !UNITS.has(unit)) this.fail(`${path}.unit`, `unknown unit ${JSON.stringify(unit)} (expected one of ${[...UNITS].join(', ')})`);
    this.units.add(unit);
    const scale = NS_PER_UNIT[unit] ?? 1;
    const ext = isObject(p.guestperf) ? p.guestperf : null;
    // Other writers' files carry no event: the unit says what was counted.
    const eventName = typeof ext?.event === 'string' ? ext.event : unit === 'none' ? 'samples' : unit in NS_PER_UNIT ? 'time' : unit;
    const event = this.b.event(eventName, { attr: { unit } });
    const thread = this.thread(p, ext, index);
    if (p.type === 'sampled') this.sampled(p, path, scale, event, thread);
    else if (p.type === 'evented') this.evented(p, path, unit in NS_PER_UNIT ? scale : NaN, scale, event, thread);
    else this.fail(`${path}.type`, `expected "sampled" or "evented", got ${JSON.stringify(p.type)}`);
  }

  private thread(p: JsonObject, ext: JsonObject | null, index: number): number {
    if (ext && typeof ext.comm === 'string' && Number.isInteger(ext.pid) && Number.isInteger(ext.tid)) {
      return this.b.thread(ext.comm, ext.pid as number, ext.tid as number);
    }
    // Profiles are threads only by name here; keep same-named ones apart.
    let name = typeof p.name === 'string' && p.name !== '' ? p.name : `profile ${index}`;
    if (this.threadNames.has(name)) name = `${name} #${index}`;
    this.threadNames.add(name);
    return this.b.thread(name, -1, -1);
  }

  private sampled(p: JsonObject, path: string, scale: number, event: number, thread: number): void {
    const { samples, weights } = p;
    if (!Array.isArray(samples)) this.fail(`${path}.samples`, 'expected an array of stacks');
    if (weights !== undefined && !Array.isArray(weights)) this.fail(`${path}.weights`, 'expected an array of numbers');
    if (Array.isArray(weights) && weights.length !== samples.length) {
      this.fail(`${path}.weights`, `${weights.length} weights for ${samples.length} samples`);
    }
    for (let i = 0; i < samples.length; i++) {
      const stack = samples[i];
      if (!Array.isArray(stack)) this.fail(`${path}.samples[${i}]`, 'expected an array of frame indices');
      let s = -1;
      let context: ExecContext = ExecContext.Unknown;
      for (let j = 0; j < stack.length; j++) {
        const f = this.frameIndex(stack[j], `${path}.samples[${i}][${j}]`);
        s = this.b.stack(s, this.frames[f]);
        context = this.frameContexts[f];
      }
      const w = Array.isArray(weights) ? weights[i] : 1;
      if (typeof w !== 'number' || !Number.isFinite(w)) this.fail(`${path}.weights[${i}]`, `expected a number, got ${JSON.stringify(w)}`);
      this.b.sample({ stack: s, time: NaN, weight: w * scale, event, cpu: -1, thread, vcpu: -1, context });
    }
  }

  /**
   * Replays O/C events like speedscope's CallTreeProfileBuilder: `at` never
   * decreases and a close must match the frame on top. A trace cut short
   * (frames still open) is closed at endValue with a warning rather than
   * refused, since that is what a killed process leaves behind.
   */
  private evented(p: JsonObject, path: string, timeScale: number, scale: number, event: number, thread: number): void {
    const { events } = p;
    if (!Array.isArray(events)) this.fail(`${path}.events`, 'expected an array of events');
    const open: { frame: number; stack: number }[] = [];
    let last = -Infinity;
    const emit = (until: number) => {
      if (open.length === 0 || !(until > last)) return;
      const top = open[open.length - 1];
      const context = this.frameContexts[top.frame];
      this.b.sample({ stack: top.stack, time: last * timeScale, weight: (until - last) * scale, event, cpu: -1, thread, vcpu: -1, context });
    };
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      const at = `${path}.events[${i}]`;
      if (!isObject(e)) this.fail(at, 'expected an event object');
      if (typeof e.at !== 'number' || !Number.isFinite(e.at)) this.fail(`${at}.at`, `expected a number, got ${JSON.stringify(e.at)}`);
      if (e.at < last) this.fail(`${at}.at`, `${e.at} is before the previous event (${last}); events must be in time order`);
      const f = this.frameIndex(e.frame, `${at}.frame`);
      emit(e.at);
      last = e.at;
      if (e.type === 'O') {
        const prefix = open.length > 0 ? open[open.length - 1].stack : -1;
        open.push({ frame: f, stack: this.b.stack(prefix, this.frames[f]) });
      } else if (e.type === 'C') {
        const top = open[open.length - 1];
        if (!top) this.fail(at, `closes frame ${f} (${this.frameName(f)}) but no frame is open`);
        if (top.frame !== f) {
          this.fail(at, `closes frame ${f} (${this.frameName(f)}) while frame ${top.frame} (${this.frameName(top.frame)}) is on top, at ${e.at}`);
        }
        open.pop();
      } else {
        this.fail(`${at}.type`, `expected "O" or "C", got ${JSON.stringify(e.type)}`);
      }
    }
    if (open.length > 0) {
      const end = typeof p.endValue === 'number' && Number.isFinite(p.endValue) && p.endValue > last ? p.endValue : last;
      emit(end);
      this.b.warn(-1, `${path}.events: ${open.length} frame${open.length === 1 ? ' was' : 's were'} still open at the end; closed at ${end}`);
    }
  }

  private frameName(f: number): string {
    return JSON.stringify(this.frameNames[f]);
  }
}

function createSpeedscopeImporter(options: ImportOptions): StreamingImporter {
  let chunks: Uint8Array[] = [];
  let size = 0;
  return {
    push(chunk) {
      size += chunk.length;
      if (size > SPEEDSCOPE_MAX_BYTES) {
        chunks = [];
        throw new ParseError(
          options.fileName,
          -1,
          `file is larger than ${SPEEDSCOPE_MAX_BYTES / 1048576} MiB: speedscope JSON must be parsed as one string, ` +
            'and V8 limits a string to about 512 MiB (export folded stacks instead, which stream)',
        );
      }
      // Copied: the caller may reuse its buffer for the next chunk.
      chunks.push(chunk.slice());
    },
    finish() {
      const bytes = new Uint8Array(size);
      let offset = 0;
      for (const c of chunks) {
        bytes.set(c, offset);
        offset += c.length;
      }
      chunks = [];
      const text = new TextDecoder('utf-8').decode(bytes);
      let file: Json;
      try {
        file = JSON.parse(text);
      } catch (e) {
        // V8 quotes the text around an unexpected token, newlines and all: keep the message one line.
        const message = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').slice(0, 200);
        // V8 says "... in JSON at position N" for most errors; name the line, as for every text format.
        const pos = /position (\d+)/.exec(message);
        const at = pos ? Number(pos[1]) : /end of JSON input/.test(message) ? text.length : -1;
        const line = at >= 0 ? text.slice(0, at).split('\n').length : -1;
        throw new ParseError(options.fileName, line, `not valid JSON: ${message}`);
      }
      return new SpeedscopeReader(options.fileName).read(file);
    },
  };
}

/**
 * Speedscope JSON starts with `{` and names its schema; older writers that
 * omit `$schema` still have the two required keys near the top.
 */
function detectSpeedscope(head: Uint8Array): boolean {
  let i = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 32 || head[i] === 9 || head[i] === 10 || head[i] === 13)) i++;
  if (head[i] !== 0x7b) return false;
  const text = new TextDecoder('utf-8').decode(head.subarray(i, i + 65536));
  if (/"\$schema"\s*:\s*"[^"]*speedscope/.test(text)) return true;
  return text.includes('"shared"') && text.includes('"profiles"');
}

function* exportSpeedscope(profile: Profile, options?: ExportOptions): Iterable<string> {
  const { samples, stacks, frames, strings, threads, events } = profile;
  const ns = profile.meta.weightUnit === 'ns';
  yield `{"$schema":${JSON.stringify(SCHEMA)},"exporter":"guestperf","name":${JSON.stringify(profile.meta.name)},`;
  yield `"activeProfileIndex":0,"guestperf":{"weightUnit":${JSON.stringify(profile.meta.weightUnit)}},"shared":{"frames":[`;
  for (let f = 0; f < frames.length; f++) {
    const frame: Record<string, string> = { name: strings[frames.name[f]] };
    if (frames.dso[f] >= 0) frame.file = strings[frames.dso[f]];
    if (frames.context[f] !== ExecContext.HostUser) frame.guestperfContext = EXEC_CONTEXT_NAMES[frames.context[f]];
    yield (f > 0 ? ',' : '') + JSON.stringify(frame);
  }
  yield ']},"profiles":[';
  // Group sample indices by (event, thread), keeping each group in sample order.
  const groups = new Map<number, number[]>();
  for (let i = 0; i < samples.length; i++) {
    if (options?.event !== undefined && samples.event[i] !== options.event) continue;
    if (!Number.isFinite(samples.weight[i])) continue;
    const key = samples.event[i] * threads.length + samples.thread[i];
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(i);
  }
  const path: number[] = [];
  let first = true;
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const group = groups.get(key) as number[];
    const e = Math.floor(key / threads.length);
    const t = key % threads.length;
    const event = events[e]?.name ?? `event ${e}`;
    const comm = strings[threads.comm[t]];
    const total = group.reduce((sum, i) => sum + samples.weight[i], 0);
    const head = {
      type: 'sampled',
      name: threads.pid[t] < 0 && threads.tid[t] < 0 ? `${event} · ${comm}` : `${event} · ${comm} ${threads.pid[t]}/${threads.tid[t]}`,
      unit: ns ? 'nanoseconds' : 'none',
      startValue: 0,
      endValue: total,
      guestperf: { event, comm, pid: threads.pid[t], tid: threads.tid[t] },
    };
    const json = JSON.stringify(head);
    yield `${first ? '' : ','}${json.slice(0, -1)},"samples":[`;
    first = false;
    let batch: string[] = [];
    let flushed = false;
    for (let k = 0; k < group.length; k++) {
      path.length = 0;
      for (let s = samples.stack[group[k]]; s >= 0; s = stacks.prefix[s]) path.push(stacks.frame[s]);
      batch.push(`[${path.reverse().join(',')}]`);
      if (batch.length === 4096 || k === group.length - 1) {
        yield (flushed ? ',' : '') + batch.join(',');
        flushed = true;
        batch = [];
      }
    }
    yield '],"weights":[';
    for (let k = 0; k < group.length; k += 4096) {
      yield (k > 0 ? ',' : '') + group.slice(k, k + 4096).map((i) => samples.weight[i]).join(',');
    }
    yield ']}';
  }
  yield ']}\n';
}

export const speedscopeFormat: TraceFormat = {
  id: 'speedscope',
  name: 'speedscope JSON',
  extensions: ['speedscope.json', 'json'],
  detect: detectSpeedscope,
  createImporter: createSpeedscopeImporter,
  export: exportSpeedscope,
  exportExtension: 'speedscope.json',
};
