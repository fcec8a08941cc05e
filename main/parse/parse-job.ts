/**
 * One file being loaded: owns its worker thread, forwards uploaded chunks with
 * back-pressure, and reports exactly one outcome (done, failed or cancelled).
 */
import { Worker } from 'node:worker_threads';
import type { FromWorker, ParseWorkerData, ToWorker } from './protocol';

/** Uploaded bytes allowed in flight to the worker before uploadChunk waits. */
const MAX_IN_FLIGHT = 16 * 1024 * 1024;

export interface ParseJobListener {
  progress(bytes: number): void;
  done(profile: Uint8Array, warnings: string[]): void;
  failed(message: string): void;
}

export class ParseJob {
  private readonly worker: Worker;
  private inFlight = 0;
  private drained: (() => void) | null = null;
  private settled = false;

  constructor(workerUrl: URL, data: ParseWorkerData, private readonly listener: ParseJobListener) {
    this.worker = new Worker(workerUrl, { workerData: data });
    this.worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    this.worker.on('error', (e) => {
      const oom = (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.fail(oom ? `${data.fileName}: ran out of memory while parsing (the file is too large to open)` : `${data.fileName}: ${e.message}`);
    });
    this.worker.on('exit', (code) => {
      if (!this.settled) this.fail(`${data.fileName}: the parser stopped unexpectedly (exit code ${code})`);
    });
  }

  get finished(): boolean {
    return this.settled;
  }

  /** Sends one uploaded chunk; resolves when the worker has room for more. */
  async push(bytes: Uint8Array): Promise<void> {
    if (this.settled) return;
    this.inFlight += bytes.length;
    this.post({ type: 'chunk', bytes });
    while (this.inFlight > MAX_IN_FLIGHT && !this.settled) {
      await new Promise<void>((r) => (this.drained = r));
    }
  }

  end(): void {
    if (!this.settled) this.post({ type: 'end' });
  }

  /** Stops the job without reporting an outcome (the caller reports the cancel). */
  cancel(): void {
    this.settle();
  }

  private post(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }

  private onMessage(msg: FromWorker): void {
    if (this.settled) return;
    switch (msg.type) {
      case 'progress':
        this.listener.progress(msg.bytes);
        break;
      case 'consumed':
        this.inFlight -= msg.bytes;
        if (this.inFlight <= MAX_IN_FLIGHT) this.wake();
        break;
      case 'done':
        this.settle();
        this.listener.done(msg.profile, msg.warnings);
        break;
      case 'error':
        this.fail(msg.message);
        break;
    }
  }

  private fail(message: string): void {
    if (this.settled) return;
    this.settle();
    this.listener.failed(message);
  }

  private settle(): void {
    this.settled = true;
    this.wake();
    void this.worker.terminate();
  }

  private wake(): void {
    const d = this.drained;
    this.drained = null;
    d?.();
  }
}
