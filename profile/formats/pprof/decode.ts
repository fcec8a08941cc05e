/**
 * Decodes google/pprof `proto/profile.proto` into plain tables, still keyed by
 * the file's ids and string indices. Samples are kept as undecoded views and
 * read after the whole message is seen, because nothing obliges a writer to
 * put `string_table` (or the locations) before the samples that use them.
 */
import { ProtoReader, WireType } from './proto';

export interface PprofFunction {
  name: number;
  systemName: number;
  filename: number;
}

export interface PprofLocation {
  mappingId: number;
  address: number;
  /** Function ids of the location's lines: [0] is the innermost (inlined) frame, the last its caller. */
  functions: number[];
}

export interface PprofLabel {
  key: number;
  str: number;
  num: number;
}

export interface PprofSample {
  locationIds: number[];
  values: number[];
  labels: PprofLabel[];
}

export interface PprofProfile {
  strings: string[];
  sampleTypes: Array<{ type: number; unit: number }>;
  samples: Uint8Array[];
  mappings: Map<number, { filename: number }>;
  locations: Map<number, PprofLocation>;
  functions: Map<number, PprofFunction>;
  dropFrames: number;
  keepFrames: number;
  timeNanos: number;
  durationNanos: number;
  periodType: { type: number; unit: number } | null;
  period: number;
  defaultSampleType: number;
}

function valueType(r: ProtoReader): { type: number; unit: number } {
  const out = { type: 0, unit: 0 };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) out.type = r.scalar(wire, true);
    else if (field === 2) out.unit = r.scalar(wire, true);
    else r.skip(wire);
  }
  return out;
}

function location(r: ProtoReader): [number, PprofLocation] {
  let id = 0;
  const loc: PprofLocation = { mappingId: 0, address: 0, functions: [] };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) id = r.scalar(wire);
    else if (field === 2) loc.mappingId = r.scalar(wire);
    else if (field === 3) loc.address = r.scalar(wire);
    else if (field === 4 && wire === WireType.Bytes) {
      const line = r.message();
      let fn = 0;
      while (!line.done) {
        const t = line.tag();
        if (t.field === 1) fn = line.scalar(t.wire);
        else line.skip(t.wire);
      }
      loc.functions.push(fn);
    } else r.skip(wire);
  }
  return [id, loc];
}

function func(r: ProtoReader): [number, PprofFunction] {
  let id = 0;
  const fn: PprofFunction = { name: 0, systemName: 0, filename: 0 };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) id = r.scalar(wire);
    else if (field === 2) fn.name = r.scalar(wire, true);
    else if (field === 3) fn.systemName = r.scalar(wire, true);
    else if (field === 4) fn.filename = r.scalar(wire, true);
    else r.skip(wire);
  }
  return [id, fn];
}

function mapping(r: ProtoReader): [number, { filename: number }] {
  let id = 0;
  let filename = 0;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) id = r.scalar(wire);
    else if (field === 5) filename = r.scalar(wire, true);
    else r.skip(wire);
  }
  return [id, { filename }];
}

/** Reads one Sample from the view kept by `decodeProfile`. */
export function decodeSample(bytes: Uint8Array): PprofSample {
  const r = new ProtoReader(bytes);
  const s: PprofSample = { locationIds: [], values: [], labels: [] };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) r.repeated(wire, false, s.locationIds);
    else if (field === 2) r.repeated(wire, true, s.values);
    else if (field === 3 && wire === WireType.Bytes) {
      const l = r.message();
      const label: PprofLabel = { key: 0, str: 0, num: 0 }; // proto3: an absent field is 0
      while (!l.done) {
        const t = l.tag();
        if (t.field === 1) label.key = l.scalar(t.wire, true);
        else if (t.field === 2) label.str = l.scalar(t.wire, true);
        else if (t.field === 3) label.num = l.scalar(t.wire, true);
        else l.skip(t.wire);
      }
      s.labels.push(label);
    } else r.skip(wire);
  }
  return s;
}

export function decodeProfile(bytes: Uint8Array): PprofProfile {
  const decoder = new TextDecoder('utf-8');
  const p: PprofProfile = {
    strings: [],
    sampleTypes: [],
    samples: [],
    mappings: new Map(),
    locations: new Map(),
    functions: new Map(),
    dropFrames: 0,
    keepFrames: 0,
    timeNanos: 0,
    durationNanos: 0,
    periodType: null,
    period: 0,
    defaultSampleType: 0,
  };
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const { field, wire } = r.tag();
    const isMessage = wire === WireType.Bytes;
    if (field === 1 && isMessage) p.sampleTypes.push(valueType(r.message()));
    else if (field === 2 && isMessage) p.samples.push(r.bytes());
    else if (field === 3 && isMessage) p.mappings.set(...mapping(r.message()));
    else if (field === 4 && isMessage) p.locations.set(...location(r.message()));
    else if (field === 5 && isMessage) p.functions.set(...func(r.message()));
    else if (field === 6 && isMessage) p.strings.push(decoder.decode(r.bytes()));
    else if (field === 7) p.dropFrames = r.scalar(wire, true);
    else if (field === 8) p.keepFrames = r.scalar(wire, true);
    else if (field === 9) p.timeNanos = r.scalar(wire, true);
    else if (field === 10) p.durationNanos = r.scalar(wire, true);
    else if (field === 11 && isMessage) p.periodType = valueType(r.message());
    else if (field === 12) p.period = r.scalar(wire, true);
    else if (field === 14) p.defaultSampleType = r.scalar(wire, true);
    else r.skip(wire);
  }
  return p;
}
