/**
 * The streams a command talks to. process.stdin/stdout/stderr in the real
 * command; in-memory streams in tests, so commands never touch `process`.
 */
import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}
