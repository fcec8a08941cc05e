/**
 * One WebSocket connection of the web host: decodes requests, validates them
 * through the same dispatch as Electron IPC, and pushes the session's events.
 */
import type { WebSocket } from 'ws';
import { WIRE_PART_BYTES, type ApiEvent } from '../api/contract';
import { ApiSession, type SessionOptions } from '../api/session';
import { dispatch } from '../api/validate';
import { decodeFrame, encodeFrame } from './wire';

export function serveConnection(ws: WebSocket, options: Omit<SessionOptions, 'emit' | 'host'>): void {
  const send = (json: unknown, payload?: Uint8Array) => {
    if (ws.readyState === ws.OPEN) ws.send(encodeFrame(json, payload));
  };
  const emit = (event: ApiEvent) => {
    if (event.type === 'job-done') {
      const { profile, ...rest } = event;
      const parts = Math.max(1, Math.ceil(profile.length / WIRE_PART_BYTES));
      if (parts === 1) send({ event: rest }, profile);
      else
        for (let i = 0; i < parts; i++) {
          send({ event: rest, part: [i, parts] }, profile.subarray(i * WIRE_PART_BYTES, (i + 1) * WIRE_PART_BYTES));
        }
    } else {
      send({ event });
    }
  };
  const session = new ApiSession({ ...options, host: 'web', emit });

  ws.on('message', (data, isBinary) => {
    let id = -1;
    try {
      if (!isBinary) throw new Error('expected a binary frame');
      const { json, payload } = decodeFrame(data as Buffer);
      const req = json as { id?: unknown; method?: unknown; args?: unknown };
      if (typeof req.id !== 'number' || !Number.isSafeInteger(req.id)) throw new Error('request without a numeric id');
      id = req.id;
      const args = req.method === 'uploadChunk' && Array.isArray(req.args) ? [...req.args, payload] : req.args;
      const reqId = id;
      dispatch(session, req.method, args).then(
        (result) => {
          // ExportedFile: its bytes travel as the payload (contract.ts, wire format).
          if (result && typeof result === 'object' && (result as { bytes?: unknown }).bytes instanceof Uint8Array) {
            const { bytes, ...rest } = result as { bytes: Uint8Array };
            send({ id: reqId, result: rest }, bytes);
          } else {
            send({ id: reqId, result: result ?? null });
          }
        },
        (e: Error) => send({ id: reqId, error: e.message }),
      );
    } catch (e) {
      send({ id, error: (e as Error).message });
    }
  });
  ws.on('close', () => session.dispose());
}
