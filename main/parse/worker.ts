/**
 * Parse worker: turns a stream of file bytes into a serialized profile off the
 * main thread. Bytes come from the file itself (openPath) or from the window
 * (uploads, forwarded by the job as `chunk` messages); gzip is undone here so
 * every importer sees plain bytes.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';
import { ParseError } from '../../profile/formats/format';
import { describeUnknown, detectFormat } from '../../profile/formats/registry';
import { serializeProfile } from '../../profile/serialize';
import type { FromWorker, ParseWorkerData, ToWorker } from './protocol';

const HEAD_BYTES = 64 * 1024;
const PROGRESS_INTERVAL_MS = 50;

const port = parentPort!;
const { fileName, path } = workerData as ParseWorkerData;
const post = (msg: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(msg, transfer);

let sourceBytes = 0;
let lastProgress = 0;
function countSource(n: number): void {
  sourceBytes += n;
  const now = Date.now();
  if (now - lastProgress >= PROGRESS_INTERVAL_MS) {
    lastProgress = now;
    post({ type: 'progress', bytes: sourceBytes });
  }
}

async function* uploadedChunks(): AsyncGenerator<Uint8Array> {
  const queue: ToWorker[] = [];
  let wake: (() => void) | null = null;
  port.on('message', (msg: ToWorker) => {
    queue.push(msg);
    wake?.();
  });
  for (;;) {
    const msg = queue.shift();
    if (!msg) {
      await new Promise<void>((r) => (wake = r));
      wake = null;
      continue;
    }
    if (msg.type === 'end') return;
    yield msg.bytes;
    post({ type: 'consumed', bytes: msg.bytes.length });
  }
}

async function* source(): AsyncGenerator<Uint8Array> {
  const raw: AsyncIterable<Uint8Array> = path ? createReadStream(path, { highWaterMark: 1 << 20 }) : uploadedChunks();
  for await (const chunk of raw) {
    countSource(chunk.length);
    yield chunk;
  }
}

/** Undoes gzip when the stream starts with its magic; passes other bytes through. */
async function* plainBytes(input: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
  const first = await input.next();
  if (first.done) return;
  const head = first.value;
  if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) {
    yield head;
    yield* input;
    return;
  }
  async function* all() {
    yield head;
    yield* input;
  }
  try {
    for await (const chunk of Readable.from(all()).pipe(createGunzip())) yield chunk as Uint8Array;
  } catch (e) {
    throw new ParseError(fileName, -1, `corrupt gzip data (${(e as Error).message})`);
  }
}

async function parse(): Promise<void> {
  const bytes = plainBytes(source());
  // Gather the head for detection without holding more than HEAD_BYTES extra.
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
  if (!format) {
    post({ type: 'error', message: describeUnknown(fileName, head) });
    return;
  }

  const importer = format.createImporter({ fileName });
  importer.push(head);
  if (!done) for await (const chunk of bytes) importer.push(chunk);
  const profile = importer.finish();
  const serialized = serializeProfile(profile);
  post({ type: 'progress', bytes: sourceBytes });
  post(
    { type: 'done', profile: serialized, warnings: profile.meta.warnings.map((w) => (w.line > 0 ? `line ${w.line}: ${w.message}` : w.message)) },
    [serialized.buffer as ArrayBuffer],
  );
}

// The job terminates this worker once it has the result or the error.
parse().catch((e: unknown) => {
  const message =
    e instanceof ParseError ? e.message : `${fileName}: ${e instanceof Error ? e.message : String(e)}`;
  post({ type: 'error', message });
});
