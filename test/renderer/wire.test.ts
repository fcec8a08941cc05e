import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../main/api/contract';
import { PartAssembler, decodeFrame, decodeReply, encodeFrame, encodeRequest, WireError } from '../../renderer/api/wire';
import { connectWebSocketApi, type WebSocketLike } from '../../renderer/api/ws-client';
import { deserializeProfile, serializeProfile } from '../../profile/serialize';
import { smallProfile } from './fake-api';

/** An in-memory WebSocket: the test plays the host. */
class FakeSocket implements WebSocketLike {
  binaryType: BinaryType = 'blob';
  readyState = 0;
  sent: Uint8Array[] = [];
  onopen: ((ev: Event) => unknown) | null = null;
  onclose: ((ev: CloseEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  constructor(readonly url: string) {}
  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    this.sent.push(new Uint8Array((data as Uint8Array).slice()));
  }
  close(): void {
    this.hostClose(1000, '');
  }
  hostOpen(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  hostSend(message: unknown, payload?: Uint8Array): void {
    const frame = encodeFrame(message, payload);
    this.onmessage?.({ data: frame.buffer } as MessageEvent);
  }
  hostClose(code: number, reason: string): void {
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }
  request(i: number) {
    return decodeFrame(this.sent[i]);
  }
}

async function connected(onClose?: (m: string) => void) {
  let socket!: FakeSocket;
  const pending = connectWebSocketApi('ws://127.0.0.1:1234/api?token=secret', {
    onClose,
    createSocket: (url) => (socket = new FakeSocket(url)),
  });
  socket.hostOpen();
  return { api: await pending, socket };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('wire frames', () => {
  it('are u32 LE JSON length, JSON, payload', () => {
    const frame = encodeFrame({ a: 'é' }, new Uint8Array([9, 8, 7]));
    const json = new TextEncoder().encode('{"a":"é"}');
    expect(new DataView(frame.buffer).getUint32(0, true)).toBe(json.length);
    expect(Array.from(frame.subarray(4, 4 + json.length))).toEqual(Array.from(json));
    expect(Array.from(frame.subarray(4 + json.length))).toEqual([9, 8, 7]);
    const back = decodeFrame(frame.buffer);
    expect(back.message).toEqual({ a: 'é' });
    expect(Array.from(back.payload!)).toEqual([9, 8, 7]);
    expect(decodeFrame(encodeFrame([1])).payload).toBeNull();
  });

  it('puts an upload chunk in the payload with args [job]', () => {
    const { message, payload } = decodeFrame(encodeRequest(3, 'uploadChunk', [12], new Uint8Array([1, 2])));
    expect(message).toEqual({ id: 3, method: 'uploadChunk', args: [12] });
    expect(Array.from(payload!)).toEqual([1, 2]);
  });

  it('rejects truncated and malformed frames with a precise error', () => {
    expect(() => decodeFrame(new Uint8Array([1, 0]))).toThrow(WireError);
    const short = new Uint8Array(6);
    new DataView(short.buffer).setUint32(0, 10, true);
    expect(() => decodeFrame(short)).toThrow(/announces 10 bytes of JSON but holds 2/);
    const bad = encodeFrame('x');
    bad[4] = 0x7b; // '{' in place of '"'
    expect(() => decodeFrame(bad)).toThrow(/malformed/);
  });

  it('gives job-done its profile back from the payload, and fails a job-done without one', () => {
    const bytes = serializeProfile(smallProfile());
    const done = decodeReply(encodeFrame({ event: { type: 'job-done', job: 1, name: 'a', warnings: [] } }, bytes));
    expect(done.kind).toBe('event');
    const ev = (done as { event: ApiEvent }).event;
    expect(ev.type).toBe('job-done');
    if (ev.type === 'job-done') expect(deserializeProfile(ev.profile).meta.name).toBe('small.txt');
    const bare = decodeReply(encodeFrame({ event: { type: 'job-done', job: 1, name: 'a', warnings: [] } }));
    expect(bare).toMatchObject({ kind: 'event', event: { type: 'job-failed', job: 1 } });
  });

  it('puts a profile sent in parts back together, and fails a job whose parts come out of order', () => {
    const bytes = serializeProfile(smallProfile());
    const event = { type: 'job-done', job: 3, name: 'a', warnings: [] };
    const cut = [0, 100, 250, bytes.length];
    const frames = [0, 1, 2].map((i) => encodeFrame({ event, part: [i, 3] }, bytes.subarray(cut[i], cut[i + 1])));
    const assembler = new PartAssembler();
    const add = (f: Uint8Array) => {
      const r = decodeReply(f);
      if (r.kind !== 'part') throw new Error(`expected a part, got ${r.kind}`);
      return assembler.add(r);
    };
    expect(add(frames[0])).toBeNull();
    expect(add(frames[1])).toBeNull();
    const whole = add(frames[2]);
    expect(whole?.type).toBe('job-done');
    if (whole?.type === 'job-done') expect(Array.from(whole.profile)).toEqual(Array.from(bytes));
    expect(add(frames[1])).toMatchObject({ type: 'job-failed', job: 3, message: 'the host sent part 2 of 3 of the profile out of order' });
    expect(() => decodeReply(encodeFrame({ event, part: [3, 3] }, bytes))).toThrow(WireError);
  });
});

describe('WebSocket client', () => {
  it('sends requests with increasing ids and resolves each with its own reply', async () => {
    const { api, socket } = await connected();
    expect(socket.binaryType).toBe('arraybuffer');
    const info = api.info();
    const job = api.beginUpload('f.txt', 100);
    expect(socket.request(0).message).toEqual({ id: 1, method: 'info', args: [] });
    expect(socket.request(1).message).toEqual({ id: 2, method: 'beginUpload', args: ['f.txt', 100] });
    socket.hostSend({ id: 2, result: 42 });
    socket.hostSend({ id: 1, result: { host: 'web', version: '1', extensions: [], maxFileBytes: 1, maxChunkBytes: 1 } });
    await expect(job).resolves.toBe(42);
    await expect(info).resolves.toMatchObject({ host: 'web' });
  });

  it('sends upload chunks as the payload', async () => {
    const { api, socket } = await connected();
    const done = api.uploadChunk(5, new Uint8Array([4, 5, 6]));
    const { message, payload } = socket.request(0);
    expect(message).toEqual({ id: 1, method: 'uploadChunk', args: [5] });
    expect(Array.from(payload!)).toEqual([4, 5, 6]);
    socket.hostSend({ id: 1, result: null });
    await expect(done).resolves.toBeNull();
  });

  it('rejects a call with the host error message', async () => {
    const { api, socket } = await connected();
    const p = api.openPath('/nope');
    socket.hostSend({ id: 1, error: 'ENOENT: /nope does not exist' });
    await expect(p).rejects.toThrow('ENOENT: /nope does not exist');
  });

  it('delivers events, job-done with its profile bytes, and stops after unsubscribe', async () => {
    const { api, socket } = await connected();
    const seen: ApiEvent[] = [];
    const off = api.onEvent((e) => seen.push(e));
    socket.hostSend({ event: { type: 'job-progress', job: 1, bytes: 10, total: 20 } });
    socket.hostSend({ event: { type: 'job-done', job: 1, name: 'x', warnings: ['w'] } }, serializeProfile(smallProfile('x')));
    off();
    socket.hostSend({ event: { type: 'job-cancelled', job: 2 } });
    expect(seen.map((e) => e.type)).toEqual(['job-progress', 'job-done']);
    const done = seen[1];
    if (done.type !== 'job-done') throw new Error('unreachable');
    expect(deserializeProfile(done.profile).meta.name).toBe('x');
  });

  it('rejects pending calls when the socket closes, naming the call, and refuses later ones', async () => {
    const closed: string[] = [];
    const { api, socket } = await connected((m) => closed.push(m));
    const pending = api.endUpload(3);
    socket.hostClose(1006, '');
    await expect(pending).rejects.toThrow('the connection to the guestperf host closed (code 1006) before endUpload answered');
    await expect(api.info()).rejects.toThrow(/info failed: the connection to the guestperf host is closed \(code 1006\)/);
    expect(closed).toEqual(['Lost the connection to the guestperf host: closed (code 1006). Reload the page to reconnect.']);
  });

  it('fails to connect with a message that does not leak the token', async () => {
    let socket!: FakeSocket;
    const p = connectWebSocketApi('ws://127.0.0.1:1/api?token=secret', { createSocket: (u) => (socket = new FakeSocket(u)) });
    socket.hostClose(1008, 'bad token');
    const err = await p.catch((e: Error) => e);
    expect((err as Error).message).toBe(
      'Could not connect to the guestperf host at ws://127.0.0.1:1/api: connection closed (code 1008: bad token)',
    );
    await tick();
  });
});
