/**
 * Shared by the chrome-trace, cpuprofile and pprof tests: feeding a format's
 * importer in chunks, collecting an export, and summarising a profile as total
 * weight per (event, thread, stack path), which is what a round trip keeps.
 */
import { expect } from 'vitest';
import fc from 'fast-check';
import { ParseError, type TraceFormat } from '../../../profile/formats/format';
import { frameName, type Profile } from '../../../profile/model';

/** Imports `bytes`, cut at the given chunk sizes (cycled), or whole. */
export function importBytes(format: TraceFormat, bytes: Uint8Array, fileName = 'test', chunks: number[] = []): Profile {
  const importer = format.createImporter({ fileName });
  if (chunks.length === 0) importer.push(bytes);
  for (let at = 0, k = 0; chunks.length > 0 && at < bytes.length; k++) {
    const size = chunks[k % chunks.length];
    importer.push(bytes.subarray(at, at + size));
    at += size;
  }
  return importer.finish();
}

export function exportBytes(format: TraceFormat, profile: Profile, event?: number): Uint8Array {
  const parts = [...format.export!(profile, event === undefined ? undefined : { event })].map((p) =>
    typeof p === 'string' ? new TextEncoder().encode(p) : p,
  );
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function stackPath(profile: Profile, stack: number): string {
  const names: string[] = [];
  for (let s = stack; s >= 0; s = profile.stacks.prefix[s]) names.push(frameName(profile, profile.stacks.frame[s]));
  return names.reverse().join(';');
}

/** "event|comm|a;b;c" -> total weight. Pass `withThread = false` to merge threads. */
export function pathTotals(profile: Profile, withThread = true): Map<string, number> {
  const out = new Map<string, number>();
  const { samples, threads, strings, events } = profile;
  for (let i = 0; i < samples.length; i++) {
    const comm = withThread ? strings[threads.comm[samples.thread[i]]] : '*';
    const key = `${events[samples.event[i]]?.name}|${comm}|${stackPath(profile, samples.stack[i])}`;
    out.set(key, (out.get(key) ?? 0) + samples.weight[i]);
  }
  return out;
}

/** Drops entries whose total is 0 (a zero-weight path is not a difference). */
export function nonZero(totals: Map<string, number>): Map<string, number> {
  return new Map([...totals].filter(([, v]) => v !== 0));
}

export function expectSameTotals(actual: Map<string, number>, expected: Map<string, number>, exact = true): void {
  const a = nonZero(actual);
  const e = nonZero(expected);
  expect([...a.keys()].sort()).toEqual([...e.keys()].sort());
  for (const [k, v] of e) {
    if (exact) expect(a.get(k), k).toBe(v);
    else expect(a.get(k)!, k).toBeCloseTo(v, 6);
  }
}

/** Chunk sizes for feeding an importer: small ones, so boundaries land everywhere. */
export const chunking = fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 });

/** Byte edits applied to a valid file: overwrite, delete, insert, truncate. */
export const mutations: fc.Arbitrary<Edit[]> = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.nat(255) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  ),
  { minLength: 1, maxLength: 6 },
);

type Edit =
  | { op: 'set'; at: number; byte: number }
  | { op: 'delete'; at: number; length: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'truncate'; at: number };

export function mutate(bytes: Uint8Array, edits: Edit[]): Uint8Array {
  let b = bytes;
  for (const e of edits) {
    if (b.length === 0) break;
    const at = e.at % b.length;
    if (e.op === 'set') {
      b = b.slice();
      b[at] = e.byte;
    } else if (e.op === 'delete') b = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + e.length)]);
    else if (e.op === 'insert') b = new Uint8Array([...b.subarray(0, at), ...e.bytes, ...b.subarray(at)]);
    else b = b.slice(0, at);
  }
  return b;
}

/** The importer either returns a profile or throws a ParseError; anything else fails the property. */
export function importsOrRejects(format: TraceFormat, bytes: Uint8Array, chunks: number[]): boolean {
  try {
    const p = importBytes(format, bytes, 'fuzz', chunks);
    return p.samples.length >= 0;
  } catch (e) {
    if (e instanceof ParseError) return true;
    throw e;
  }
}
