/**
 * The connection to the main side and the loading of profiles: which job is
 * running and how far it got, and the error to show. A finished job hands
 * its profile to the profile store; a failed or cancelled one leaves the
 * profile store untouched, so what was on screen stays on screen.
 *
 * Job events can arrive before the call that started the job resolves
 * (openDialog, beginUpload), so a job is adopted from whichever comes first.
 * The newest job wins: events of an older job are ignored.
 */
import { defineStore } from 'pinia';
import { markRaw, nextTick, ref, shallowRef } from 'vue';
import type { ApiEvent, GuestperfApi, HostInfo, JobId } from '../../main/api/contract';
import { deserializeProfile } from '../../profile/serialize';
import type { ImportWarning, Profile } from '../../profile/model';
import { downloadFile } from '../api/download';
import { uploadFile, type FileLike, type UploadControl } from '../api/upload';
import { useProfileStore } from './profile';
import { restoreViewState } from './view-state';

export interface JobState {
  /** null while beginUpload has not answered yet. */
  id: JobId | null;
  name: string;
  bytes: number;
  total: number;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function formatImportWarnings(warnings: ImportWarning[]): string[] {
  return warnings.map((w) => (w.line > 0 ? `line ${w.line}: ${w.message}` : w.message));
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export const useLoadStore = defineStore('load', () => {
  const api = shallowRef<GuestperfApi | null>(null);
  const host = ref<HostInfo | null>(null);
  const job = ref<JobState | null>(null);
  const error = ref<string | null>(null);
  /** Bumped when the window should show the browser file picker (the toolbar owns the input). */
  const pickFileRequests = ref(0);
  /** Jobs that ended (done, failed, cancelled): late answers about them are ignored. */
  const ended = new Set<JobId>();
  /** Jobs whose profile goes elsewhere than the profile store (the differential's sides). */
  const routes = new Map<JobId, { deliver: (profile: Profile) => void; failed?: (message: string) => void }>();
  let upload: UploadControl | null = null;
  let unsubscribe: (() => void) | null = null;

  async function connect(next: GuestperfApi): Promise<HostInfo> {
    unsubscribe?.();
    api.value = markRaw(next);
    unsubscribe = next.onEvent(handleEvent);
    const info = await next.info();
    host.value = info;
    return info;
  }

  function fail(text: string): void {
    error.value = text;
  }

  function dismissError(): void {
    error.value = null;
  }

  function isCurrent(id: JobId): boolean {
    if (ended.has(id)) return false;
    const j = job.value;
    if (!j) return true; // e.g. a file opened from the command line or the recent list
    if (j.id === null || j.id === id) return true;
    return false;
  }

  function adopt(id: JobId, name?: string, total?: number): JobState {
    const j = job.value;
    if (j && (j.id === id || j.id === null)) {
      j.id = id;
      if (name) j.name = name;
      if (total !== undefined) j.total = total;
      return j;
    }
    // A newer job replaces the one shown; the host runs one load per window.
    job.value = { id, name: name ?? '', bytes: 0, total: total ?? 0 };
    return job.value;
  }

  function endJob(id: JobId): void {
    ended.add(id);
    if (job.value?.id === id) {
      job.value = null;
      upload = null;
    }
  }

  function handleEvent(e: ApiEvent): void {
    switch (e.type) {
      case 'job-started':
        if (ended.has(e.job)) return;
        adopt(e.job, e.name, e.total);
        return;
      case 'job-progress': {
        if (!isCurrent(e.job)) return;
        const j = adopt(e.job, undefined, e.total);
        j.bytes = Math.max(j.bytes, e.bytes);
        return;
      }
      case 'job-done': {
        if (!isCurrent(e.job)) return;
        // Benchmarks time the first flame-graph paint from here (test/bench/flame-interaction.ts).
        performance.mark('profile-arrived');
        adopt(e.job);
        endJob(e.job);
        let profile;
        try {
          profile = deserializeProfile(e.profile);
        } catch (err) {
          fail(`Could not open ${e.name}: the profile data from the host is unreadable (${message(err)}).`);
          return;
        }
        const warnings = e.warnings.length > 0 ? e.warnings : formatImportWarnings(profile.meta.warnings);
        error.value = null;
        const route = routes.get(e.job);
        if (route) {
          routes.delete(e.job);
          route.deliver(profile);
          return;
        }
        useProfileStore().show(profile, warnings);
        // After the stores' own reactions to the new profile (they reset
        // zoom, selection, ...), so the saved state wins.
        void nextTick(() => restoreViewState(profile.viewState));
        return;
      }
      case 'job-failed':
        routes.get(e.job)?.failed?.(e.message);
        routes.delete(e.job);
        if (!isCurrent(e.job)) return;
        adopt(e.job);
        endJob(e.job);
        fail(`Could not open ${e.name}: ${e.message}`);
        return;
      case 'job-cancelled':
        endJob(e.job);
        return;
      case 'menu':
        if (e.command === 'open-browser-file') pickFileRequests.value++;
        return;
      default: {
        const unknown: never = e;
        console.warn('guestperf: unknown event', unknown);
      }
    }
  }

  /** Toolbar "Open…": the native dialog in Electron, the file picker in a browser. */
  async function open(): Promise<void> {
    const a = api.value;
    if (!a) return;
    if (host.value?.host !== 'electron') {
      pickFileRequests.value++;
      return;
    }
    try {
      const id = await a.openDialog();
      if (id !== null && !ended.has(id)) adopt(id);
    } catch (e) {
      fail(`Could not open a file: ${message(e)}`);
    }
  }

  /** Runs a built-in scenario on the main side and opens its recording. */
  async function openScenario(name: string): Promise<void> {
    const a = api.value;
    if (!a) return;
    try {
      const id = await a.openScenario(name);
      if (!ended.has(id)) adopt(id);
    } catch (e) {
      fail(`Could not run scenario ${name}: ${message(e)}`);
    }
  }

  /**
   * Runs a scenario as the scenario panel asks (`start` calls the API) and
   * follows its job like any load; a refusal is thrown back to the panel,
   * which shows it beside what was refused.
   */
  async function runScenario(start: (api: GuestperfApi) => Promise<JobId>): Promise<void> {
    const a = api.value;
    if (!a) throw new Error('not connected to the guestperf host');
    const id = await start(a);
    if (!ended.has(id)) adopt(id);
  }

  /**
   * Streams a local file (picked or dropped) to the main side. With
   * `deliver`, the parsed profile goes there instead of replacing the open one.
   */
  async function openFile(file: FileLike, deliver?: (profile: Profile) => void): Promise<void> {
    const a = api.value;
    if (!a) return;
    const limit = host.value?.maxFileBytes;
    if (limit !== undefined && file.size > limit) {
      fail(`Could not open ${file.name}: it is ${formatBytes(file.size)}, and the largest file guestperf loads is ${formatBytes(limit)}.`);
      return;
    }
    if (upload) upload.cancelled = true;
    job.value = { id: null, name: file.name, bytes: 0, total: file.size };
    const j = job.value; // the reactive proxy: later job.value === j means "still this upload"
    let begun: JobId | null = null;
    const control: UploadControl = {
      cancelled: false,
      onJob: (id) => {
        begun = id;
        if (deliver) routes.set(id, { deliver });
        if (job.value === j) j.id = id;
      },
      onProgress: (bytes) => {
        if (job.value === j) j.bytes = Math.max(j.bytes, bytes);
      },
    };
    upload = control;
    try {
      await uploadFile(a, file, control, (host.value ?? (await a.info())).maxChunkBytes);
    } catch (e) {
      if (!control.cancelled) {
        if (job.value === j) job.value = null;
        if (begun !== null) ended.add(begun);
        fail(`Could not open ${file.name}: ${message(e)}`);
      }
    } finally {
      if (upload === control) upload = null;
    }
    // Cancelled before the host named the job: cancel it now that it has a name.
    if (control.cancelled && begun !== null && !ended.has(begun)) {
      endJob(begun);
      await a.cancelJob(begun).catch(() => undefined);
    }
  }

  /**
   * Starts a job on the main side (a scenario run) whose profile goes to
   * `deliver` instead of replacing the open one; it shows progress like any
   * load, and a failure also reaches `failed`.
   */
  async function openInto(
    start: (api: GuestperfApi) => Promise<JobId>,
    deliver: (profile: Profile) => void,
    failed: (message: string) => void,
  ): Promise<void> {
    const a = api.value;
    if (!a) throw new Error('not connected to the guestperf host');
    const id = await start(a);
    routes.set(id, { deliver, failed });
    if (!ended.has(id)) adopt(id);
  }

  async function cancel(): Promise<void> {
    const j = job.value;
    if (!j) return;
    if (upload) upload.cancelled = true;
    job.value = null;
    if (j.id === null) return; // openFile cancels the job once beginUpload names it
    ended.add(j.id);
    try {
      await api.value?.cancelJob(j.id);
    } catch (e) {
      fail(`Could not cancel loading ${j.name}: ${message(e)}`);
    }
  }

  /** File > Export…: a native save dialog on the desktop, a download in the browser. */
  async function exportAs(formatId: string): Promise<void> {
    const a = api.value;
    if (!a) return;
    try {
      if (host.value?.host === 'electron') await a.exportDialog(formatId);
      else downloadFile(await a.exportProfile(formatId));
    } catch (e) {
      fail(`Could not export: ${message(e)}`);
    }
  }

  return { api, host, job, error, pickFileRequests, connect, handleEvent, open, openFile, openScenario, runScenario, openInto, cancel, exportAs, fail, dismissError };
});
