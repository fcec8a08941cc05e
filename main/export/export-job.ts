/** Runs one export in a worker thread so a large profile never blocks the main thread. */
import { Worker } from 'node:worker_threads';
import type { ExportWorkerData, FromExportWorker } from './protocol';

export function runExport(workerUrl: URL, data: ExportWorkerData): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    // The worker gets its own copy: the session keeps the profile for later saves.
    const worker = new Worker(workerUrl, { workerData: data });
    let settled = false;
    worker.once('message', (msg: FromExportWorker) => {
      settled = true;
      void worker.terminate();
      if (msg.type === 'done') resolve(msg.bytes);
      else reject(new Error(msg.message));
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the export stopped unexpectedly (exit code ${code})`));
    });
  });
}
