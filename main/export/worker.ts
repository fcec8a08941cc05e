/** Export worker: one profile, one format, written to a file or returned as bytes. */
import { parentPort, workerData } from 'node:worker_threads';
import { formatById } from '../../profile/formats/registry';
import { deserializeProfile } from '../../profile/serialize';
import { exportBytes, writeTrace } from '../files/trace-io';
import type { ExportWorkerData, FromExportWorker } from './protocol';

const { profile, formatId, path } = workerData as ExportWorkerData;
const post = (msg: FromExportWorker, transfer?: ArrayBuffer[]) => parentPort!.postMessage(msg, transfer);

async function run(): Promise<void> {
  const format = formatById(formatId);
  if (!format?.export) throw new Error(`unknown export format ${JSON.stringify(formatId)}`);
  const p = deserializeProfile(profile);
  if (path) {
    await writeTrace(path, p, format);
    post({ type: 'done' });
  } else {
    const bytes = await exportBytes(p, format);
    post({ type: 'done', bytes }, [bytes.buffer as ArrayBuffer]);
  }
}

run().catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
