/**
 * What every command shares: the streams it talks to (process.stdin/stdout/
 * stderr in the real command; in-memory streams in tests, so commands never
 * touch `process`), one-line errors, and writing with back-pressure.
 */
import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** A failure the user sees as one line, exit status 2. */
export class CommandError extends Error {
  override name = 'CommandError';
}

export function errnoText(e: NodeJS.ErrnoException): string {
  const known: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    EPERM: 'operation not permitted',
    ENOTDIR: 'not a directory',
  };
  return (e.code && known[e.code]) ?? e.message;
}

/**
 * Writes text chunks to `out`, waiting for it to drain. Resolves false when
 * the reader went away (EPIPE: `| head`), which is the reader's choice.
 */
export async function writeChunks(out: Writable, chunks: Iterable<string | Uint8Array>): Promise<boolean> {
  let failed: NodeJS.ErrnoException | null = null;
  const onError = (e: NodeJS.ErrnoException) => (failed = e);
  out.on('error', onError);
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        out.off('drain', done);
        out.off('error', done);
        out.off('close', done);
        resolve();
      };
      out.on('drain', done);
      out.on('error', done);
      out.on('close', done);
    });
  try {
    for (const chunk of chunks) {
      if (failed) break;
      if (!out.write(chunk) && !failed) await drained();
    }
  } finally {
    out.off('error', onError);
  }
  const err = failed as NodeJS.ErrnoException | null;
  if (err && err.code !== 'EPIPE') throw err;
  return err === null;
}

/** Runs a command body: CommandError → `guestperf <cmd>: message`, status 2. */
export async function runReporting(cmd: string, io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof CommandError) {
      io.stderr.write(`guestperf ${cmd}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
