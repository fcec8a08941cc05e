/**
 * Saves never leave a half-written file: write a temporary file beside the
 * target, flush it, then rename it over the target (atomic on one file system).
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export async function writeFileAtomic(path: string, source: Readable, ...transforms: Transform[]): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await pipeline([source, ...transforms, createWriteStream(tmp, { flush: true })]);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
