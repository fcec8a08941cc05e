/**
 * The contract every trace format implements. "Not my format" (detect returns
 * false) and "my format, broken at line N" (ParseError) are distinct outcomes.
 */
import type { Profile } from '../model';

/** A file that is in this format but cannot be read: where, and why. */
export class ParseError extends Error {
  override name = 'ParseError';
  constructor(
    readonly file: string,
    /** 1-based line, or -1 when the error is not tied to a line. */
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`);
  }
}

export interface ImportOptions {
  /** Name used in messages and as the profile's name (a base name, not a path). */
  fileName: string;
}

/**
 * Receives a file as byte chunks of any size and boundary. `push` may throw
 * ParseError; `finish` returns the profile (and may throw ParseError too).
 */
export interface StreamingImporter {
  push(chunk: Uint8Array): void;
  finish(): Profile;
}

export interface ExportOptions {
  /** Only this event's samples (EventIndex); formats that hold one event default to the first. */
  event?: number;
}

/**
 * Writes a profile as a sequence of chunks, so a large export never has to be
 * one string. Strings are UTF-8 encoded by the caller.
 */
export type Exporter = (profile: Profile, options?: ExportOptions) => Iterable<string | Uint8Array>;

export interface TraceFormat {
  id: string;
  /** Human name for messages ("perf script text"). */
  name: string;
  extensions: string[];
  /** Cheap check on the first bytes of the file (up to 64 KiB). */
  detect(head: Uint8Array): boolean;
  createImporter(options: ImportOptions): StreamingImporter;
  /** Present when guestperf can write this format. */
  export?: Exporter;
  /** The file is conventionally compressed (pprof): the writer gzips, the reader un-gzips. */
  compressed?: 'gzip';
  /** Default extension for exported files (without the dot). */
  exportExtension?: string;
}
