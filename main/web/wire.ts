/** The web host's frame codec (format documented in main/api/contract.ts). */

export function encodeFrame(json: unknown, payload?: Uint8Array): Buffer {
  const head = Buffer.from(JSON.stringify(json), 'utf8');
  const out = Buffer.allocUnsafe(4 + head.length + (payload?.length ?? 0));
  out.writeUInt32LE(head.length, 0);
  head.copy(out, 4);
  if (payload) out.set(payload, 4 + head.length);
  return out;
}

export class WireError extends Error {
  override name = 'WireError';
}

export function decodeFrame(frame: Buffer): { json: unknown; payload: Uint8Array } {
  if (frame.length < 4) throw new WireError('frame shorter than its length prefix');
  const n = frame.readUInt32LE(0);
  if (4 + n > frame.length) throw new WireError('frame shorter than its JSON header');
  let json: unknown;
  try {
    json = JSON.parse(frame.toString('utf8', 4, 4 + n));
  } catch {
    throw new WireError('frame header is not JSON');
  }
  return { json, payload: new Uint8Array(frame.buffer, frame.byteOffset + 4 + n, frame.length - 4 - n) };
}
