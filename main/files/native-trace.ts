/** Writing guestperf's own trace file (read back through profile/formats/native.ts). */
import { Readable } from 'node:stream';
import { constants, createGzip } from 'node:zlib';
import { NATIVE_EXTENSION } from '../../profile/formats/native';
import { writeFileAtomic } from './atomic-write';

export { NATIVE_EXTENSION };

/**
 * Writes serialized profile data (one buffer, or the chunks of
 * serializeChunks) as a gzip-compressed native trace, atomically. Level 1:
 * the columns compress well already and saving must stay fast.
 */
export function writeNativeTrace(path: string, data: Uint8Array | Iterable<Uint8Array>): Promise<void> {
  const SLICE = 1 << 20;
  function* slices(): Generator<Uint8Array> {
    const chunks = data instanceof Uint8Array ? [data] : data;
    for (const c of chunks) for (let at = 0; at < c.length; at += SLICE) yield c.subarray(at, at + SLICE);
  }
  return writeFileAtomic(path, Readable.from(slices(), { objectMode: false }), createGzip({ level: constants.Z_BEST_SPEED }));
}
