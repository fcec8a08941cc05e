/**
 * pprof (google/pprof `proto/profile.proto`), the format of Go's profiler,
 * perf_to_profile and many language profilers. gzip is a transport concern
 * (`compressed: 'gzip'`): this importer sees, and the exporter writes, the
 * plain protobuf.
 *
 * Mapping to the model: one event per sample_type (its unit in attr.unit);
 * a pprof sample, which carries one value per sample_type, becomes one model
 * sample per non-zero value. pprof stacks are leaf-first and a location with
 * several lines is an inline chain (line[0] innermost), so both are reversed
 * into the model's root-first stacks. pprof has no per-sample time: time is NaN.
 */
import { ProfileBuilder } from '../../builder';
import { EXEC_CONTEXT_NAMES, ExecContext, type Profile, type ProfileMeta } from '../../model';
import { ParseError, type ImportOptions, type StreamingImporter, type TraceFormat } from '../format';
import { looksLikeText } from '../lines';
import { decodeProfile, decodeSample, type PprofProfile } from './decode';
import { exportPprof } from './encode';
import { ProtoError, ProtoReader, WireType } from './proto';

/** perf's names for kernel code; anything else is taken as user code. */
function contextOfDso(dso: string | null): ExecContext {
  if (dso === null) return ExecContext.HostUser;
  if (dso.startsWith('[guest.kernel')) return ExecContext.GuestKernel;
  if (dso.startsWith('[kernel') || dso === '[vmlinux]' || dso.endsWith('/vmlinux')) return ExecContext.HostKernel;
  return ExecContext.HostUser;
}

function weightUnitOf(unit: string, type: string): ProfileMeta['weightUnit'] {
  if (unit === 'nanoseconds') return 'ns';
  return type === 'samples' ? 'samples' : 'events';
}

function build(p: PprofProfile, fileName: string): Profile {
  const b = new ProfileBuilder();
  const str = (i: number) => p.strings[i] ?? '';
  if (p.strings.length > 0 && p.strings[0] !== '') b.warn(-1, 'string_table[0] is not empty (the file breaks the pprof spec)');
  if (p.dropFrames || p.keepFrames) {
    // They are regexps meant for pprof's own pruning; applying untrusted regexps here is not worth the risk.
    b.warn(-1, 'drop_frames / keep_frames are not applied');
  }
  // pprof's default view is default_sample_type, else the last type: make that event 0.
  const types = p.sampleTypes.map((t, i) => ({ ...t, i }));
  let first = types.findIndex((t) => p.defaultSampleType !== 0 && t.type === p.defaultSampleType);
  if (first < 0) first = types.length - 1;
  const ordered = first < 0 ? [] : [types[first], ...types.filter((_, k) => k !== first)];
  const eventOf = new Map<number, number>();
  const seen = new Set<string>();
  for (const t of ordered) {
    const type = str(t.type) || `value${t.i}`;
    const name = seen.has(type) ? `${type}/${str(t.unit)}` : type;
    seen.add(type);
    const attr: Record<string, string> = { unit: str(t.unit) };
    if (p.periodType) attr.period_type = `${str(p.periodType.type)}/${str(p.periodType.unit)}`;
    if (p.period) attr.period = String(p.period);
    if (p.durationNanos) attr.duration_nanos = String(p.durationNanos);
    eventOf.set(t.i, b.event(name, { attr }));
  }

  // Frames per location, root-first, built on first use.
  const locFrames = new Map<number, { frames: number[]; context: ExecContext }>();
  const framesOf = (id: number): { frames: number[]; context: ExecContext } | undefined => {
    const done = locFrames.get(id);
    if (done) return done;
    const loc = p.locations.get(id);
    if (!loc) return undefined;
    const mapping = p.mappings.get(loc.mappingId);
    const dso = mapping && str(mapping.filename) ? str(mapping.filename) : null;
    const context = contextOfDso(dso);
    const names = loc.functions.map((fid) => {
      const fn = p.functions.get(fid);
      return (fn && (str(fn.name) || str(fn.systemName))) || `0x${loc.address.toString(16)}`;
    });
    if (names.length === 0) names.push(`0x${loc.address.toString(16)}`);
    const built = { frames: names.reverse().map((n) => b.frame(n, dso, context)), context };
    locFrames.set(id, built);
    return built;
  };

  const mainMapping = p.mappings.get(1) ?? p.mappings.values().next().value;
  const mainComm = (mainMapping && str(mainMapping.filename).split('/').pop()) || 'pprof';
  let missingLocations = 0;
  let valueMismatch = 0;
  for (const bytes of p.samples) {
    const s = decodeSample(bytes);
    let pid = -1;
    let tid = -1;
    let cpu = -1;
    let vcpu = -1;
    let comm = '';
    let machine = 0;
    let context: ExecContext | -1 = -1;
    for (const l of s.labels) {
      const key = str(l.key);
      const text = str(l.str);
      const n = l.num;
      if (key === 'pid') pid = n;
      else if (key === 'tid') tid = n;
      else if (key === 'cpu') cpu = n;
      else if (key === 'vcpu') vcpu = n;
      else if (key === 'thread' || key === 'thread_comm' || key === 'comm') {
        if (text) comm = text;
        else if (key === 'thread') tid = n;
      } else if (key === 'machine' && text) machine = b.machine(text, 'guest');
      else if (key === 'exec_context') {
        const c = EXEC_CONTEXT_NAMES.indexOf(text as (typeof EXEC_CONTEXT_NAMES)[number]);
        if (c >= 0) context = c as ExecContext;
      }
    }
    let stack = -1;
    let leafContext: ExecContext = ExecContext.HostUser;
    for (let k = s.locationIds.length - 1; k >= 0; k--) {
      const loc = framesOf(s.locationIds[k]);
      if (!loc) {
        missingLocations++;
        continue;
      }
      for (const f of loc.frames) stack = b.stack(stack, f);
      leafContext = loc.context;
    }
    if (s.values.length !== p.sampleTypes.length) valueMismatch++;
    const thread = b.thread(comm || (tid >= 0 ? `tid ${tid}` : mainComm), pid, tid, machine);
    const n = Math.min(s.values.length, p.sampleTypes.length);
    for (let v = 0; v < n; v++) {
      if (s.values[v] === 0) continue;
      b.sample({
        stack,
        time: NaN,
        weight: s.values[v],
        event: eventOf.get(v)!,
        cpu,
        thread,
        vcpu,
        context: context === -1 ? leafContext : context,
      });
    }
  }
  if (missingLocations > 0) b.warn(-1, `${missingLocations} sample frames name a location the file does not define`);
  if (valueMismatch > 0) b.warn(-1, `${valueMismatch} samples do not have one value per sample_type`);
  const def = ordered[0];
  return b.build({
    name: fileName,
    source: 'pprof',
    weightUnit: def ? weightUnitOf(str(def.unit), str(def.type)) : 'samples',
  });
}

function createImporter(options: ImportOptions): StreamingImporter {
  const chunks: Uint8Array[] = [];
  let size = 0;
  return {
    push(chunk) {
      chunks.push(chunk.slice());
      size += chunk.length;
    },
    finish() {
      const all = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      if (size >= 2 && all[0] === 0x1f && all[1] === 0x8b) {
        throw new ParseError(options.fileName, -1, 'the file is still gzip-compressed (it should have been unpacked before parsing)');
      }
      try {
        return build(decodeProfile(all), options.fileName);
      } catch (e) {
        if (e instanceof ProtoError) throw new ParseError(options.fileName, -1, `not a valid profile.proto: ${e.message}`);
        throw e;
      }
    },
  };
}

/** Every field of an embedded message is well formed and inside it. */
function wellFormed(r: ProtoReader): boolean {
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field > 15) return false;
    r.skip(wire);
  }
  return true;
}

const MESSAGE_FIELDS = new Set([1, 2, 3, 4, 5, 11]);
const INT_FIELDS = new Set([7, 8, 9, 10, 12, 14]);

/**
 * Plain protobuf has no magic number (and writers do not agree on field
 * order: Go 1.10 puts time_nanos first). So every top-level field of the head
 * must be one of Profile's, with the wire type profile.proto gives it and
 * well-formed content (strings valid UTF-8), and there must be two fields at
 * least. Text, JSON and random bytes fail within a few bytes (a random key is
 * valid about 1 time in 17); a head cut off inside a field is accepted once
 * 4 KiB of complete fields have been seen.
 */
function detect(head: Uint8Array): boolean {
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  if (head.length < 16 || looksLikeText(head)) return false;
  const r = new ProtoReader(head);
  let complete = 0;
  try {
    while (!r.done) {
      const { field, wire } = r.tag();
      if (MESSAGE_FIELDS.has(field) || field === 6) {
        if (wire !== WireType.Bytes) return false;
        if (field === 6) utf8.decode(r.bytes());
        else if (!wellFormed(r.message())) return false;
      } else if (INT_FIELDS.has(field)) {
        if (wire !== WireType.Varint) return false;
        r.uint64();
      } else if (field === 13 && (wire === WireType.Varint || wire === WireType.Bytes)) r.skip(wire);
      else return false;
      complete++;
    }
    return complete >= 2;
  } catch (e) {
    if (!(e instanceof ProtoError) && !(e instanceof TypeError)) throw e;
    return complete >= 2 && r.pos >= 4096;
  }
}

export const pprofFormat: TraceFormat = {
  id: 'pprof',
  name: 'pprof profile.proto',
  extensions: ['pb', 'pprof', 'prof', 'pb.gz'],
  detect,
  createImporter,
  export: exportPprof,
  compressed: 'gzip',
  exportExtension: 'pb.gz',
};
