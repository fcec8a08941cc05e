/**
 * The API handlers for one window (an Electron window or one web-host
 * connection). Nothing here imports Electron: the shell passes in what only it
 * can do (native dialogs) as `ShellHooks`, so IPC, the web host and tests all
 * serve the same object.
 */
import { stat } from 'node:fs/promises';
import { basename, isAbsolute } from 'node:path';
import { EXPORT_FORMATS, formatById, IMPORT_EXTENSIONS } from '../../profile/formats/registry';
import { nativeFormat } from '../../profile/formats/native';
import { withViewState } from '../../profile/serialize';
import { runExport } from '../export/export-job';
import { writeNativeTrace } from '../files/native-trace';
import { ParseJob } from '../parse/parse-job';
import type { ParseWorkerData } from '../parse/protocol';
import {
  MAX_UPLOAD_CHUNK,
  type ApiEvent,
  type ApiMethods,
  type ExportedFile,
  type HostInfo,
  type JobId,
  type EventCheck,
  type ScenarioArch,
  type ScenarioInfo,
  type ScenarioRunOptions,
  type ScenarioVendor,
} from './contract';
import { ApiInputError } from './validate';
import {
  builtinScenarioText,
  checkEventString,
  describeScenario,
  listBuiltinScenarios,
  parseScenarioText,
  prepareRun,
} from './scenarios';
import type { RecentFiles } from './recent-files';

export interface ShellHooks {
  /** Native Open dialog; resolves to a path or null. */
  showOpenDialog?(extensions: readonly string[]): Promise<string | null>;
  /** Native Save dialog; resolves to a path or null. */
  showSaveDialog?(defaultName: string, format: { name: string; extension: string }): Promise<string | null>;
}

export interface SessionOptions {
  host: HostInfo['host'];
  version: string;
  workerUrl: URL;
  /** The export worker (out/main/export-worker.js). */
  exportWorkerUrl: URL;
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

const baseName = (name: string) => name.replace(/(\.[a-z0-9]+)+$/i, '');

function exportFormat(id: string): { name: string; extension: string } {
  const f = formatById(id);
  if (!f?.export) {
    throw new ApiInputError(`unknown export format ${JSON.stringify(id)} (one of: ${EXPORT_FORMATS.map((e) => e.id).join(', ')})`);
  }
  return { name: f.name, extension: f.exportExtension ?? f.extensions[0] };
}

export class ApiSession implements ApiMethods {
  private nextJob = 1;
  private readonly jobs = new Map<JobId, Job>();
  /** The last profile loaded, serialized: what Save As writes. */
  private current: { name: string; bytes: Uint8Array } | null = null;
  /** The window's view state for `current` (setViewState), saved with it. */
  private viewState: unknown = undefined;

  constructor(private readonly opts: SessionOptions) {}

  async info(): Promise<HostInfo> {
    return {
      host: this.opts.host,
      version: this.opts.version,
      extensions: [...IMPORT_EXTENSIONS],
      maxFileBytes: this.opts.maxFileBytes,
      maxChunkBytes: MAX_UPLOAD_CHUNK,
      exportFormats: EXPORT_FORMATS.map((f) => ({ id: f.id, name: f.name, extension: f.exportExtension ?? f.extensions[0] })),
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

  async openScenario(name: string, options?: ScenarioRunOptions): Promise<JobId> {
    const { fileName, text } = builtinScenarioText('openScenario', name);
    return this.runScenario('openScenario', fileName, text, options);
  }

  async openScenarioText(fileName: string, yamlText: string, options?: ScenarioRunOptions): Promise<JobId> {
    return this.runScenario('openScenarioText', basename(fileName.replaceAll('\\', '/')), yamlText, options);
  }

  async listScenarios(): Promise<ScenarioInfo[]> {
    return listBuiltinScenarios();
  }

  async describeScenarioText(fileName: string, yamlText: string): Promise<ScenarioInfo> {
    return describeScenario(parseScenarioText(basename(fileName.replaceAll('\\', '/')), yamlText), '');
  }

  async checkEvents(text: string, arch?: ScenarioArch, vendor?: ScenarioVendor): Promise<EventCheck> {
    return checkEventString(text, arch, vendor);
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

  async setViewState(json: string): Promise<void> {
    this.requireCurrent('setViewState');
    this.viewState = JSON.parse(json);
  }

  async saveDialog(): Promise<string | null> {
    const current = this.requireCurrent('Save As');
    const show = this.opts.shell?.showSaveDialog;
    if (!show) throw new ApiInputError('saveDialog: this window has no native dialogs');
    const path = await show(baseName(current.name) + '.guestperf', { name: 'guestperf trace', extension: 'guestperf' });
    if (path === null) return null;
    await writeNativeTrace(path, this.withViewState(current.bytes));
    await this.opts.recent.add(path);
    return path;
  }

  async exportDialog(formatId: string): Promise<string | null> {
    const current = this.requireCurrent('Export');
    const format = exportFormat(formatId);
    const show = this.opts.shell?.showSaveDialog;
    if (!show) throw new ApiInputError('exportDialog: this window has no native dialogs (use exportProfile)');
    const path = await show(`${baseName(current.name)}.${format.extension}`, format);
    if (path === null) return null;
    await runExport(this.opts.exportWorkerUrl, { profile: this.exportBytes(current.bytes, formatId), formatId, path });
    return path;
  }

  async exportProfile(formatId: string): Promise<ExportedFile> {
    const current = this.requireCurrent('Export');
    const format = exportFormat(formatId);
    const bytes = await runExport(this.opts.exportWorkerUrl, { profile: this.exportBytes(current.bytes, formatId), formatId });
    return { name: `${baseName(current.name)}.${format.extension}`, bytes: bytes ?? new Uint8Array(0) };
  }

  /** Ends every job (the window closed or the connection dropped). */
  dispose(): void {
    for (const job of this.jobs.values()) job.parse.cancel();
    this.jobs.clear();
  }

  /** The serialized profile with the window's view state, as chunks. */
  private withViewState(bytes: Uint8Array): Uint8Array[] {
    return this.viewState === undefined ? [bytes] : withViewState(bytes, this.viewState);
  }

  /** Only the native format holds a view state; the copy is made for it alone. */
  private exportBytes(bytes: Uint8Array, formatId: string): Uint8Array {
    if (formatId !== nativeFormat.id || this.viewState === undefined) return bytes;
    const chunks = this.withViewState(bytes);
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  private requireCurrent(action: string): { name: string; bytes: Uint8Array } {
    if (!this.current) throw new ApiInputError(`${action}: nothing is open`);
    return this.current;
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

  /** Checks the run against its scenario (nothing starts on a refusal), then records it in a worker. */
  private runScenario(method: string, fileName: string, text: string, options?: ScenarioRunOptions): JobId {
    const run = prepareRun(method, fileName, text, options);
    const name = run.compare ? `${run.scenario.name} (${run.compare.join(' vs ')})` : `${run.scenario.name} (scenario)`;
    return this.start(name, 0, { fileName, scenario: { text: run.text, events: run.events, compare: run.compare } }, false);
  }

  private start(name: string, total: number, data: ParseWorkerData, upload: boolean): JobId {
    const id = this.nextJob++;
    const { emit } = this.opts;
    const parse = new ParseJob(this.opts.workerUrl, data, {
      progress: (bytes) => emit({ type: 'job-progress', job: id, bytes, total }),
      done: (profile, warnings) => {
        if (!this.jobs.delete(id)) return;
        this.current = { name, bytes: profile };
        this.viewState = undefined;
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
