/**
 * The API handlers for one window (an Electron window or one web-host
 * connection). Nothing here imports Electron: the shell passes in what only it
 * can do (native dialogs) as `ShellHooks`, so IPC, the web host and tests all
 * serve the same object.
 */
import { stat } from 'node:fs/promises';
import { basename, isAbsolute } from 'node:path';
import { IMPORT_EXTENSIONS } from '../../profile/formats/registry';
import { writeNativeTrace } from '../files/native-trace';
import { ParseJob } from '../parse/parse-job';
import { MAX_UPLOAD_CHUNK, type ApiEvent, type ApiMethods, type HostInfo, type JobId } from './contract';
import { ApiInputError } from './validate';
import type { RecentFiles } from './recent-files';

export interface ShellHooks {
  /** Native Open dialog; resolves to a path or null. */
  showOpenDialog?(extensions: readonly string[]): Promise<string | null>;
  /** Native Save dialog; resolves to a path or null. */
  showSaveDialog?(defaultName: string): Promise<string | null>;
}

export interface SessionOptions {
  host: HostInfo['host'];
  version: string;
  workerUrl: URL;
  emit(event: ApiEvent): void;
  recent: RecentFiles;
  maxFileBytes: number;
  shell?: ShellHooks;
}

interface Job {
  name: string;
  parse: ParseJob;
  upload: boolean;
  received: number;
  total: number;
}

export class ApiSession implements ApiMethods {
  private nextJob = 1;
  private readonly jobs = new Map<JobId, Job>();
  /** The last profile loaded, serialized: what Save As writes. */
  private current: { name: string; bytes: Uint8Array } | null = null;

  constructor(private readonly opts: SessionOptions) {}

  async info(): Promise<HostInfo> {
    return {
      host: this.opts.host,
      version: this.opts.version,
      extensions: [...IMPORT_EXTENSIONS],
      maxFileBytes: this.opts.maxFileBytes,
      maxChunkBytes: MAX_UPLOAD_CHUNK,
    };
  }

  async openDialog(): Promise<JobId | null> {
    const show = this.opts.shell?.showOpenDialog;
    if (!show) throw new ApiInputError('openDialog: this window has no native dialogs (use the file picker)');
    const path = await show(IMPORT_EXTENSIONS);
    return path === null ? null : this.openPath(path);
  }

  async openPath(path: string): Promise<JobId> {
    if (!isAbsolute(path)) throw new ApiInputError(`openPath: expected an absolute path, got ${JSON.stringify(path)}`);
    let size: number;
    try {
      const st = await stat(path);
      if (!st.isFile()) throw new ApiInputError(`${path}: not a regular file`);
      size = st.size;
    } catch (e) {
      if (e instanceof ApiInputError) throw e;
      throw new ApiInputError(`${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    this.checkSize(basename(path), size);
    const job = this.start(basename(path), size, { fileName: basename(path), path }, false);
    await this.opts.recent.add(path);
    return job;
  }

  async beginUpload(name: string, size: number): Promise<JobId> {
    const fileName = basename(name.replaceAll('\\', '/'));
    this.checkSize(fileName, size);
    return this.start(fileName, size, { fileName }, true);
  }

  async uploadChunk(jobId: JobId, chunk: Uint8Array): Promise<void> {
    const job = this.uploadJob(jobId, 'uploadChunk');
    if (job.parse.finished) return;
    job.received += chunk.length;
    if (job.received > job.total) {
      this.failJob(jobId, `${job.name}: more bytes arrived than the ${job.total} announced`);
      return;
    }
    await job.parse.push(chunk);
  }

  async endUpload(jobId: JobId): Promise<void> {
    this.uploadJob(jobId, 'endUpload').parse.end();
  }

  async cancelJob(jobId: JobId): Promise<void> {
    const job = this.jobs.get(jobId);
    if (!job) return; // already finished: cancelling is idempotent
    this.jobs.delete(jobId);
    job.parse.cancel();
    this.opts.emit({ type: 'job-cancelled', job: jobId });
  }

  recentFiles(): Promise<string[]> {
    return this.opts.recent.list();
  }

  async saveDialog(): Promise<string | null> {
    const show = this.opts.shell?.showSaveDialog;
    if (!show) throw new ApiInputError('saveDialog: this window has no native dialogs');
    if (!this.current) throw new ApiInputError('Save As: nothing is open');
    const path = await show(this.current.name.replace(/\.[^.]*$/, '') + '.guestperf');
    if (path === null) return null;
    await writeNativeTrace(path, this.current.bytes);
    await this.opts.recent.add(path);
    return path;
  }

  /** Ends every job (the window closed or the connection dropped). */
  dispose(): void {
    for (const job of this.jobs.values()) job.parse.cancel();
    this.jobs.clear();
  }

  private checkSize(name: string, size: number): void {
    if (size > this.opts.maxFileBytes) {
      const gb = (n: number) => (n / 2 ** 30).toFixed(1);
      throw new ApiInputError(
        `${name}: ${gb(size)} GiB is more than this machine can load (limit ${gb(this.opts.maxFileBytes)} GiB)`,
      );
    }
  }

  private uploadJob(jobId: JobId, method: string): Job {
    const job = this.jobs.get(jobId);
    if (!job || !job.upload) throw new ApiInputError(`${method}: no upload in progress with id ${jobId}`);
    return job;
  }

  private failJob(jobId: JobId, message: string): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    this.jobs.delete(jobId);
    job.parse.cancel();
    this.opts.emit({ type: 'job-failed', job: jobId, name: job.name, message });
  }

  private start(name: string, total: number, data: { fileName: string; path?: string }, upload: boolean): JobId {
    const id = this.nextJob++;
    const { emit } = this.opts;
    const parse = new ParseJob(this.opts.workerUrl, data, {
      progress: (bytes) => emit({ type: 'job-progress', job: id, bytes, total }),
      done: (profile, warnings) => {
        if (!this.jobs.delete(id)) return;
        this.current = { name, bytes: profile };
        emit({ type: 'job-done', job: id, name, profile, warnings });
      },
      failed: (message) => {
        if (!this.jobs.delete(id)) return;
        emit({ type: 'job-failed', job: id, name, message });
      },
    });
    this.jobs.set(id, { name, parse, upload, received: 0, total });
    emit({ type: 'job-started', job: id, name, total });
    return id;
  }
}
