/** Messages between an export job (main thread) and its worker thread. */

export interface ExportWorkerData {
  /** Serialized profile (profile/serialize.ts). */
  profile: Uint8Array;
  formatId: string;
  /** Write the file here (atomically); absent: return the bytes. */
  path?: string;
}

export type FromExportWorker = { type: 'done'; bytes?: Uint8Array } | { type: 'error'; message: string };
