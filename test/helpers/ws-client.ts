/** A minimal Node client of the web host's wire format, for tests. */
import WebSocket from 'ws';
import type { ApiEvent } from '../../main/api/contract';
import { decodeFrame, encodeFrame } from '../../main/web/wire';
import { PartAssembler, decodeReply } from '../../renderer/api/wire';

export interface TestClient {
  call(method: string, args: unknown[], payload?: Uint8Array): Promise<unknown>;
  events: Array<ApiEvent & { payload?: Uint8Array }>;
  /** Frames that carried a slice of a profile (WIRE_PART_BYTES). */
  partFrames: number;
  nextEvent(type: ApiEvent['type']): Promise<ApiEvent & { payload?: Uint8Array }>;
  close(): void;
}

export function connect(url: string, origin: string): Promise<TestClient> {
  const ws = new WebSocket(url, { headers: { Origin: origin } });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const events: TestClient['events'] = [];
  const waiters: Array<() => void> = [];
  let nextId = 1;
  const parts = new PartAssembler();
  ws.on('message', (data: Buffer) => {
    const { json, payload } = decodeFrame(data);
    const msg = json as { id?: number; result?: unknown; error?: string; event?: ApiEvent; part?: unknown };
    if (msg.part !== undefined) {
      client.partFrames++;
      const reply = decodeReply(new Uint8Array(data));
      const whole = reply.kind === 'part' ? parts.add(reply) : null;
      if (whole) events.push(whole.type === 'job-done' ? { ...whole, payload: whole.profile } : whole);
      waiters.splice(0).forEach((w) => w());
      return;
    }
    if (msg.event) {
      events.push(payload.length ? { ...msg.event, payload: new Uint8Array(payload) } : msg.event);
      waiters.splice(0).forEach((w) => w());
      return;
    }
    const p = pending.get(msg.id!);
    pending.delete(msg.id!);
    if (msg.error !== undefined) p?.reject(new Error(msg.error));
    else p?.resolve(msg.result);
  });
  const client: TestClient = {
    call(method, args, payload) {
      const id = nextId++;
      ws.send(encodeFrame({ id, method, args }, payload));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    events,
    partFrames: 0,
    async nextEvent(type) {
      for (;;) {
        const i = events.findIndex((e) => e.type === type);
        if (i >= 0) return events.splice(i, 1)[0];
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    close: () => ws.close(),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}
