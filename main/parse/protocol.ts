/** Messages between a parse job (main thread) and its worker thread. */

export interface ParseWorkerData {
  fileName: string;
  /** Read this file directly; absent when the bytes arrive as `chunk` messages. */
  path?: string;
  /** Instead of a file: run this built-in scenario and record it. */
  scenario?: string;
}

export type ToWorker = { type: 'chunk'; bytes: Uint8Array } | { type: 'end' };

export type FromWorker =
  /** Source bytes read so far (compressed bytes for a gzip file). */
  | { type: 'progress'; bytes: number }
  /** Upload chunks the worker has consumed, for back-pressure. */
  | { type: 'consumed'; bytes: number }
  | { type: 'done'; profile: Uint8Array; warnings: string[] }
  | { type: 'error'; message: string };
