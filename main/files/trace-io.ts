/**
 * Reading and writing traces as streams, shared by the parse worker, the
 * export worker and the command line. Compression is undone and applied here,
 * so every format module sees plain bytes.
 */
import { Readable } from 'node:stream';
import { createGunzip, createGzip, constants } from 'node:zlib';
import { ParseError, type TraceFormat } from '../../profile/formats/format';
import { describeUnknown, detectFormat } from '../../profile/formats/registry';
import type { Profile } from '../../profile/model';
import { writeFileAtomic } from './atomic-write';

const HEAD_BYTES = 64 * 1024;

/** A problem with the file that the user must see as it is (already names the file). */
export class TraceReadError extends Error {
  override name = 'TraceReadError';
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Undoes gzip when the stream starts with its magic; passes other bytes through. */
async function* plainBytes(input: AsyncIterator<Uint8Array>, fileName: string): AsyncGenerator<Uint8Array> {
  const first = await input.next();
  if (first.done) return;
  const head = first.value;
  async function* all() {
    yield head;
    for (let n = await input.next(); !n.done; n = await input.next()) yield n.value;
  }
  if (!isGzip(head)) {
    yield* all();
    return;
  }
  try {
    for await (const chunk of Readable.from(all()).pipe(createGunzip())) yield chunk as Uint8Array;
  } catch (e) {
    throw new ParseError(fileName, -1, `corrupt gzip data (${(e as Error).message})`);
  }
}

/**
 * Imports a trace from byte chunks: gunzip if needed, detect the format from
 * the first 64 KiB, stream the rest into its importer. Throws ParseError or
 * TraceReadError with a message naming the file.
 */
export async function importTrace(chunks: AsyncIterable<Uint8Array>, fileName: string): Promise<Profile> {
  const bytes = plainBytes(chunks[Symbol.asyncIterator](), fileName);
  const headChunks: Uint8Array[] = [];
  let headSize = 0;
  let done = false;
  while (headSize < HEAD_BYTES) {
    const next = await bytes.next();
    if (next.done) {
      done = true;
      break;
    }
    headChunks.push(next.value);
    headSize += next.value.length;
  }
  const head = Buffer.concat(headChunks);
  const format = detectFormat(head);
  if (!format) throw new TraceReadError(describeUnknown(fileName, head));
  const importer = format.createImporter({ fileName });
  importer.push(head);
  if (!done) for await (const chunk of bytes) importer.push(chunk);
  return importer.finish();
}

/** The exporter's output as byte chunks, gzip-compressed when the format is. */
export function exportStream(profile: Profile, format: TraceFormat): Readable {
  if (!format.export) throw new TraceReadError(`${format.name} cannot be written`);
  const encoder = new TextEncoder();
  const exporter = format.export;
  function* bytes(): Generator<Uint8Array> {
    for (const part of exporter(profile)) yield typeof part === 'string' ? encoder.encode(part) : part;
  }
  const plain = Readable.from(bytes(), { objectMode: false });
  return format.compressed === 'gzip' ? plain.pipe(createGzip({ level: constants.Z_BEST_SPEED })) : plain;
}

/** Writes `profile` to `path` in `format`, atomically. */
export function writeTrace(path: string, profile: Profile, format: TraceFormat): Promise<void> {
  return writeFileAtomic(path, exportStream(profile, format));
}

/** The exported file in memory (for a browser download). */
export async function exportBytes(profile: Profile, format: TraceFormat): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const c of exportStream(profile, format)) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}
