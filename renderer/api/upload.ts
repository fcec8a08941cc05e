/**
 * Streaming a local file to the main side: beginUpload, uploadChunk per
 * chunk (each awaited, so at most one chunk is in flight and memory stays
 * bounded whatever the file size), endUpload.
 */
import type { GuestperfApi, JobId } from '../../main/api/contract';

/** What the upload needs of a File (a Blob with a name). */
export interface FileLike {
  name: string;
  size: number;
  stream(): ReadableStream<Uint8Array>;
}

/**
 * Re-chunks a byte stream into chunks of at most `max` bytes. Small reads
 * are coalesced (browsers read files in ~64 KiB pieces, and one round trip
 * per piece would make a large upload slow); a read larger than `max` is split.
 */
export async function* rechunk(stream: ReadableStream<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let buffer = new Uint8Array(max);
  let filled = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let offset = 0;
      while (offset < value.length) {
        const n = Math.min(max - filled, value.length - offset);
        buffer.set(value.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === max) {
          yield buffer;
          // A fresh buffer: the consumer may still hold the one just yielded.
          buffer = new Uint8Array(max);
          filled = 0;
        }
      }
    }
    if (filled > 0) yield buffer.subarray(0, filled);
  } finally {
    // Stops reading if the consumer stopped early (cancel, error).
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

export interface UploadControl {
  /** Set by the caller to stop after the chunk in flight. */
  cancelled: boolean;
  /** Called once the host has given the upload a job id. */
  onJob?: (job: JobId) => void;
  /** Bytes handed to the host so far. */
  onProgress?: (bytes: number, total: number) => void;
}

/**
 * Uploads `file`; resolves with its job id once endUpload is acknowledged,
 * or null if `control.cancelled` was set (the caller cancels the job).
 */
export async function uploadFile(
  api: GuestperfApi,
  file: FileLike,
  control: UploadControl,
  /** HostInfo.maxChunkBytes: the host refuses larger chunks. */
  maxChunk: number,
): Promise<JobId | null> {
  const job = await api.beginUpload(file.name, file.size);
  control.onJob?.(job);
  let sent = 0;
  for await (const chunk of rechunk(file.stream(), maxChunk)) {
    if (control.cancelled) return null;
    await api.uploadChunk(job, chunk);
    sent += chunk.length;
    control.onProgress?.(sent, file.size);
  }
  if (control.cancelled) return null;
  await api.endUpload(job);
  return job;
}
