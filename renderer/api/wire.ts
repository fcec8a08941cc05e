/**
 * The WebSocket wire format of main/api/contract.ts, both directions:
 *
 *   u32 LE n | n bytes of UTF-8 JSON | optional payload bytes
 *
 * Pure byte work, no socket, so it is tested on its own.
 */
import type { ApiEvent, ApiMethodName, WireRequest } from '../../main/api/contract';

export class WireError extends Error {
  override name = 'WireError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** One frame: the JSON message, then the payload (if any) as raw bytes. */
export function encodeFrame(message: unknown, payload?: Uint8Array): Uint8Array<ArrayBuffer> {
  const json = encoder.encode(JSON.stringify(message));
  const out = new Uint8Array(4 + json.length + (payload?.length ?? 0));
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  if (payload) out.set(payload, 4 + json.length);
  return out;
}

/**
 * Puts a job's profile back together from its parts, which the host sends
 * in order. Gives the whole job-done event at the last part, a job-failed
 * one if a part is missing or out of order, and null meanwhile.
 */
export class PartAssembler {
  private readonly jobs = new Map<number, { next: number; count: number; chunks: Uint8Array[]; bytes: number }>();

  add(reply: Extract<DecodedReply, { kind: 'part' }>): ApiEvent | null {
    const { event, index, count } = reply;
    let job = this.jobs.get(event.job);
    if (!job && index === 0) this.jobs.set(event.job, (job = { next: 0, count, chunks: [], bytes: 0 }));
    if (!job || index !== job.next || count !== job.count) {
      this.jobs.delete(event.job);
      const message = `the host sent part ${index + 1} of ${count} of the profile out of order`;
      return { type: 'job-failed', job: event.job, name: event.name, message };
    }
    job.chunks.push(event.profile);
    job.bytes += event.profile.length;
    job.next++;
    if (job.next < count) return null;
    this.jobs.delete(event.job);
    const profile = new Uint8Array(job.bytes);
    let at = 0;
    for (const c of job.chunks) {
      profile.set(c, at);
      at += c.length;
    }
    return { ...event, profile };
  }
}

/** Splits a frame; the payload is a view into `frame` (no copy), null when empty. */
export function decodeFrame(frame: ArrayBuffer | Uint8Array): { message: unknown; payload: Uint8Array | null } {
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  if (bytes.length < 4) throw new WireError(`frame of ${bytes.length} bytes is shorter than its length prefix`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + n > bytes.length) throw new WireError(`frame announces ${n} bytes of JSON but holds ${bytes.length - 4}`);
  let message: unknown;
  try {
    message = JSON.parse(decoder.decode(bytes.subarray(4, 4 + n)));
  } catch (e) {
    throw new WireError(`frame JSON is malformed: ${(e as Error).message}`);
  }
  const payload = bytes.length > 4 + n ? bytes.subarray(4 + n) : null;
  return { message, payload };
}

/** A request; `uploadChunk` carries its chunk as the payload and only [job] as args. */
export function encodeRequest(
  id: number,
  method: ApiMethodName,
  args: unknown[],
  payload?: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const request: WireRequest = { id, method, args };
  return encodeFrame(request, payload);
}

export type DecodedReply =
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: string }
  | { kind: 'event'; event: ApiEvent }
  /** The index-th of count slices of a job-done's profile (contract.ts, WIRE_PART_BYTES). */
  | { kind: 'part'; event: Extract<ApiEvent, { type: 'job-done' }>; index: number; count: number };

/**
 * A host → client frame. A `job-done` event gets its profile back from the
 * payload (the JSON omits it); without a payload it becomes a `job-failed`.
 * A result with a payload (ExportedFile) gets it back as its `bytes`.
 */
export function decodeReply(frame: ArrayBuffer | Uint8Array): DecodedReply {
  const { message, payload } = decodeFrame(frame);
  if (typeof message !== 'object' || message === null) throw new WireError('reply is not a JSON object');
  const reply = message as Record<string, unknown>;
  if ('event' in reply) {
    const event = reply.event as ApiEvent;
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string') {
      throw new WireError('event reply without an event type');
    }
    if (event.type === 'job-done' && 'part' in reply) {
      const part = reply.part;
      if (!Array.isArray(part) || part.length !== 2 || !part.every(Number.isSafeInteger) || !(part[0] >= 0 && part[0] < part[1])) {
        throw new WireError(`job-done part ${JSON.stringify(part)} is not [index, count]`);
      }
      return { kind: 'part', event: { ...event, profile: payload ?? new Uint8Array(0) }, index: part[0], count: part[1] };
    }
    if (event.type === 'job-done') {
      // A finished job without bytes must still end the job in the window.
      if (!payload) {
        const message = 'the host sent the finished profile without its data';
        return { kind: 'event', event: { type: 'job-failed', job: event.job, name: event.name, message } };
      }
      return { kind: 'event', event: { ...event, profile: payload } };
    }
    return { kind: 'event', event };
  }
  if (typeof reply.id !== 'number') throw new WireError('reply has neither an id nor an event');
  if ('error' in reply) return { kind: 'error', id: reply.id, error: String(reply.error) };
  if ('result' in reply) {
    // An ExportedFile's bytes travel as the payload.
    const result = payload && reply.result && typeof reply.result === 'object' ? { ...reply.result, bytes: payload } : reply.result;
    return { kind: 'result', id: reply.id, result };
  }
  // `result: undefined` (a void method) is dropped by JSON.stringify.
  return { kind: 'result', id: reply.id, result: undefined };
}
