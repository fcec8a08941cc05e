/**
 * Binary form of a Profile: how it crosses a process boundary (worker → main →
 * window over IPC or a WebSocket) and the payload of the native trace file.
 *
 *   "GPRF" | u32 version | u32 headerBytes | header (UTF-8 JSON) | pad to 8 |
 *   column bytes, each column padded to 8, in the header's order
 *
 * The header holds everything that is not a typed column (meta, strings,
 * machines, events, counter track descriptions, scenario, view state, and the
 * stat, VM-exit and design-comparison tables) and the
 * list of columns with their type and length. Writing yields the columns'
 * own bytes one by one (no copy of the whole profile); reading either makes
 * zero-copy views into one buffer (IPC) or fills columns from a stream of
 * chunks (files).
 */
import type { CounterTrack, Profile } from './model';

const MAGIC = 0x46525047; // "GPRF" little-endian
/**
 * Version 1: the first format. A later version adds an upgrader below from
 * the version before it, so every older file keeps opening.
 */
export const SERIAL_VERSION = 1;
const PRELUDE = 12;
/** Largest column a reader allocates (2 GiB: a typed array's practical limit). */
const MAX_COLUMN_BYTES = 2 ** 31 - 1;

type ColumnType = 'i32' | 'f64' | 'u8';
const TABLES = ['frames', 'stacks', 'threads', 'samples', 'markers'] as const;
type TableName = (typeof TABLES)[number];
const TRACK_COLUMNS = ['time', 'value', 'running'] as const;
const BYTES: Record<ColumnType, number> = { i32: 4, f64: 8, u8: 1 };

interface ColumnDesc {
  /** A table name, or `counters.N` for the N-th counter track. */
  table: string;
  column: string;
  type: ColumnType;
  length: number;
}

interface Header {
  meta: Profile['meta'];
  strings: string[];
  machines: Profile['machines'];
  events: Profile['events'];
  lengths: Record<TableName, number>;
  /** Counter tracks without their arrays (those are columns `counters.N`). */
  counters: Array<Omit<CounterTrack, 'time' | 'value' | 'running'>>;
  scenario?: string;
  viewState?: unknown;
  stat?: Profile['stat'];
  vmExits?: Profile['vmExits'];
  designComparison?: Profile['designComparison'];
  columns: ColumnDesc[];
}

export class SerializeError extends Error {
  override name = 'SerializeError';
}

/** Arithmetic, not `& ~7`: lengths read from a file may exceed 2^31. */
const align8 = (n: number) => Math.ceil(n / 8) * 8;
const PADDING = new Uint8Array(8);

function typeOf(a: ArrayBufferView): ColumnType {
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Uint8Array) return 'u8';
  throw new TypeError('unsupported column type');
}

function describe(profile: Profile): { header: Header; views: ArrayBufferView[] } {
  const columns: ColumnDesc[] = [];
  const views: ArrayBufferView[] = [];
  for (const table of TABLES) {
    for (const [column, value] of Object.entries(profile[table])) {
      if (column === 'length') continue;
      const view = value as Int32Array;
      columns.push({ table, column, type: typeOf(view), length: view.length });
      views.push(view);
    }
  }
  profile.counters.forEach((track, i) => {
    for (const column of TRACK_COLUMNS) {
      columns.push({ table: `counters.${i}`, column, type: 'f64', length: track[column].length });
      views.push(track[column]);
    }
  });
  const header: Header = {
    meta: profile.meta,
    strings: profile.strings,
    machines: profile.machines,
    events: profile.events,
    lengths: {
      frames: profile.frames.length,
      stacks: profile.stacks.length,
      threads: profile.threads.length,
      samples: profile.samples.length,
      markers: profile.markers.length,
    },
    counters: profile.counters.map(({ time: _t, value: _v, running: _r, ...rest }) => rest),
    scenario: profile.scenario,
    viewState: profile.viewState,
    stat: profile.stat,
    vmExits: profile.vmExits,
    designComparison: profile.designComparison,
    columns,
  };
  return { header, views };
}

/** Magic, version, header length and the header, padded to 8 bytes. */
function encodePrelude(header: Header): Uint8Array {
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const prelude = new Uint8Array(align8(PRELUDE + headerBytes.length));
  const dv = new DataView(prelude.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, SERIAL_VERSION, true);
  dv.setUint32(8, headerBytes.length, true);
  prelude.set(headerBytes, PRELUDE);
  return prelude;
}

/** The serialized profile as a sequence of chunks, each column's bytes as they are. */
export function* serializeChunks(profile: Profile): Generator<Uint8Array> {
  const { header, views } = describe(profile);
  yield encodePrelude(header);
  for (const v of views) {
    if (v.byteLength) yield new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    const pad = align8(v.byteLength) - v.byteLength;
    if (pad) yield PADDING.subarray(0, pad);
  }
}

/** The serialized profile in one buffer (for a transfer between threads). */
export function serializeProfile(profile: Profile): Uint8Array {
  const chunks = [...serializeChunks(profile)];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * The serialized profile `bytes` with its view state replaced (removed when
 * `viewState` is undefined): a new prelude and header, then the original
 * column bytes as they are (no copy). Saving the window's current view state
 * with a trace costs a header, whatever the profile's size.
 */
export function withViewState(bytes: Uint8Array, viewState: unknown): Uint8Array[] {
  if (bytes.length < PRELUDE) throw new SerializeError('profile data is truncated');
  const headerLen = readPrelude(bytes);
  const columnsAt = align8(PRELUDE + headerLen);
  if (bytes.length < columnsAt) throw new SerializeError('profile data is truncated');
  const header = parseHeader(bytes.subarray(PRELUDE, PRELUDE + headerLen));
  return [encodePrelude({ ...header, viewState }), bytes.subarray(columnsAt)];
}

function readPrelude(bytes: Uint8Array): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, PRELUDE);
  if (dv.getUint32(0, true) !== MAGIC) throw new SerializeError('not guestperf profile data (bad magic)');
  const version = dv.getUint32(4, true);
  if (version > SERIAL_VERSION) {
    throw new SerializeError(`written by a newer guestperf (format version ${version}; this one reads up to ${SERIAL_VERSION})`);
  }
  if (version < 1) throw new SerializeError(`unknown format version ${version}`);
  const headerLen = dv.getUint32(8, true);
  if (headerLen > MAX_COLUMN_BYTES) throw new SerializeError('profile header length is corrupt');
  return headerLen;
}

function parseHeader(bytes: Uint8Array): Header {
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Header;
  } catch {
    throw new SerializeError('profile header is corrupt');
  }
  if (!header || !Array.isArray(header.columns) || !Array.isArray(header.strings) || !header.lengths) {
    throw new SerializeError('profile header is incomplete');
  }
  const trackLengths = new Map<string, number>();
  for (const c of header.columns) {
    const where = `column ${c?.table}.${c?.column}`;
    if (!c || !(c.type in BYTES) || !Number.isSafeInteger(c.length) || c.length < 0) {
      throw new SerializeError(`profile header describes ${where} wrongly`);
    }
    // Every column of a table has the table's length, so a damaged header
    // cannot make the reader allocate more than the data it describes.
    const expected = (TABLES as readonly string[]).includes(c.table)
      ? header.lengths[c.table as TableName]
      : (trackLengths.get(c.table) ?? trackLengths.set(c.table, c.length).get(c.table));
    if (c.length !== expected) throw new SerializeError(`profile header: ${where} has ${c.length} rows, its table ${expected}`);
    if (c.length * BYTES[c.type] > MAX_COLUMN_BYTES) throw new SerializeError(`profile header: ${where} is too large`);
  }
  return header;
}

function newColumn(type: ColumnType, buffer: ArrayBufferLike, at: number, length: number) {
  return type === 'i32'
    ? new Int32Array(buffer, at, length)
    : type === 'f64'
      ? new Float64Array(buffer, at, length)
      : new Uint8Array(buffer, at, length);
}

function assemble(header: Header, columns: ArrayBufferView[]): Profile {
  const tables: Record<string, Record<string, unknown>> = {};
  for (const t of TABLES) tables[t] = { length: header.lengths[t] ?? 0 };
  header.counters.forEach((track, i) => (tables[`counters.${i}`] = { ...track }));
  header.columns.forEach((c, i) => {
    const table = tables[c.table];
    if (!table) throw new SerializeError(`profile data names an unknown table ${c.table}`);
    table[c.column] = columns[i];
  });
  return {
    meta: header.meta,
    strings: header.strings,
    machines: header.machines,
    events: header.events,
    frames: tables.frames as unknown as Profile['frames'],
    stacks: tables.stacks as unknown as Profile['stacks'],
    threads: tables.threads as unknown as Profile['threads'],
    samples: tables.samples as unknown as Profile['samples'],
    markers: tables.markers as unknown as Profile['markers'],
    counters: header.counters.map((_, i) => tables[`counters.${i}`] as unknown as CounterTrack),
    ...(header.scenario !== undefined && { scenario: header.scenario }),
    ...(header.viewState !== undefined && { viewState: header.viewState }),
    // Tables a trace carries beside its columns; files from before them have none.
    ...(header.stat !== undefined && { stat: header.stat }),
    ...(header.vmExits !== undefined && { vmExits: header.vmExits }),
    ...(header.designComparison !== undefined && { designComparison: header.designComparison }),
  };
}

/** Rebuilds a Profile whose columns are views into `bytes` (which must stay alive). */
export function deserializeProfile(bytes: Uint8Array): Profile {
  if (bytes.byteLength < PRELUDE) throw new SerializeError('profile data is truncated (no header)');
  const headerLen = readPrelude(bytes);
  if (PRELUDE + headerLen > bytes.byteLength) throw new SerializeError('profile data is truncated (header)');
  const header = parseHeader(bytes.subarray(PRELUDE, PRELUDE + headerLen));
  // Typed-array views need aligned offsets; copy once if the input is not 8-aligned.
  const base = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  let offset = align8(PRELUDE + headerLen);
  const columns = header.columns.map((c) => {
    const byteLength = c.length * BYTES[c.type];
    if (offset + byteLength > base.byteLength) {
      throw new SerializeError(`profile data is truncated (column ${c.table}.${c.column})`);
    }
    const view = newColumn(c.type, base.buffer, base.byteOffset + offset, c.length);
    offset += align8(byteLength);
    return view;
  });
  return assemble(header, columns);
}

/**
 * Reads serialized profile data from chunks of any size, filling each column
 * as its bytes arrive: the whole file is never held twice.
 */
export class ProfileReader {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private header: Header | null = null;
  private headerLen = -1;
  private readonly columns: ArrayBufferView[] = [];
  private complete = 0;
  /** Column being filled, its bytes so far, and the padding still to skip. */
  private current: Uint8Array | null = null;
  private filled = 0;
  private skip = 0;

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (!this.header) {
        const need = this.headerLen < 0 ? PRELUDE : align8(PRELUDE + this.headerLen);
        const take = Math.min(need - this.pendingBytes, chunk.length - at);
        this.pending.push(chunk.subarray(at, at + take));
        this.pendingBytes += take;
        at += take;
        if (this.pendingBytes < need) return;
        const all = this.concatPending();
        if (this.headerLen < 0) {
          this.headerLen = readPrelude(all);
          this.pending = [all];
          continue;
        }
        this.header = parseHeader(all.subarray(PRELUDE, PRELUDE + this.headerLen));
        this.pending = [];
        this.nextColumn();
        continue;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        if (this.skip === 0) this.nextColumn();
        continue;
      }
      if (!this.current) throw new SerializeError('profile data has bytes after its last column');
      const n = Math.min(this.current.length - this.filled, chunk.length - at);
      this.current.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === this.current.length) this.endColumn();
    }
  }

  finish(): Profile {
    if (!this.header) throw new SerializeError('profile data is truncated (header)');
    if (this.complete < this.header.columns.length || this.skip > 0) {
      const c = this.header.columns[Math.min(this.complete, this.header.columns.length - 1)];
      throw new SerializeError(`profile data is truncated (column ${c.table}.${c.column})`);
    }
    return assemble(this.header, this.columns);
  }

  private concatPending(): Uint8Array {
    const all = new Uint8Array(this.pendingBytes);
    let at = 0;
    for (const p of this.pending) {
      all.set(p, at);
      at += p.length;
    }
    return all;
  }

  private nextColumn(): void {
    const desc = this.header!.columns[this.columns.length];
    if (!desc) {
      this.current = null;
      return;
    }
    const view = newColumn(desc.type, new ArrayBuffer(desc.length * BYTES[desc.type]), 0, desc.length);
    this.current = new Uint8Array(view.buffer);
    this.filled = 0;
    this.columns.push(view);
    if (this.current.length === 0) this.endColumn();
  }

  private endColumn(): void {
    this.complete++;
    this.skip = align8(this.current!.length) - this.current!.length;
    if (this.skip === 0) this.nextColumn();
  }
}
