/** A scriptable GuestperfApi for store and component tests: records calls, lets tests push events. */
import type { ApiEvent, GuestperfApi, HostInfo, JobId } from '../../main/api/contract';
import { checkEventString, describeScenario, listBuiltinScenarios, parseScenarioText } from '../../main/api/scenarios';
import { ProfileBuilder } from '../../profile/builder';
import { ExecContext, type Profile } from '../../profile/model';

export interface FakeApi extends GuestperfApi {
  calls: { method: string; args: unknown[] }[];
  emit(event: ApiEvent): void;
  hostInfo: HostInfo;
  nextJob: JobId;
  /** Resolvers for uploadChunk calls in flight (tests can hold chunks back). */
  inFlight: number;
  maxInFlight: number;
  chunkSizes: number[];
}

export function fakeApi(host: HostInfo['host'] = 'web'): FakeApi {
  const listeners = new Set<(e: ApiEvent) => void>();
  const api: FakeApi = {
    calls: [],
    hostInfo: { host, version: '0.1.0-test', extensions: ['txt'], maxFileBytes: 1 << 30, maxChunkBytes: 4 << 20, exportFormats: [{ id: 'folded', name: 'folded stacks', extension: 'folded' }] },
    nextJob: 7,
    inFlight: 0,
    maxInFlight: 0,
    chunkSizes: [],
    emit: (e) => listeners.forEach((l) => l(e)),
    onEvent(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async info() {
      api.calls.push({ method: 'info', args: [] });
      return api.hostInfo;
    },
    async openDialog() {
      api.calls.push({ method: 'openDialog', args: [] });
      return api.nextJob;
    },
    async openPath(path) {
      api.calls.push({ method: 'openPath', args: [path] });
      return api.nextJob;
    },
    async openScenario(name, options) {
      api.calls.push({ method: 'openScenario', args: options === undefined ? [name] : [name, options] });
      return api.nextJob;
    },
    async openScenarioText(fileName, text, options) {
      api.calls.push({ method: 'openScenarioText', args: options === undefined ? [fileName, text] : [fileName, text, options] });
      return api.nextJob;
    },
    // The real catalogue and parsers, as the main side answers.
    async listScenarios() {
      api.calls.push({ method: 'listScenarios', args: [] });
      return listBuiltinScenarios();
    },
    async describeScenarioText(fileName, text) {
      api.calls.push({ method: 'describeScenarioText', args: [fileName, text] });
      return describeScenario(parseScenarioText(fileName, text), '');
    },
    async checkEvents(text, arch, vendor) {
      api.calls.push({ method: 'checkEvents', args: [text, arch, vendor] });
      return checkEventString(text, arch, vendor);
    },
    async beginUpload(name, size) {
      api.calls.push({ method: 'beginUpload', args: [name, size] });
      return api.nextJob;
    },
    async uploadChunk(job, chunk) {
      api.calls.push({ method: 'uploadChunk', args: [job] });
      api.chunkSizes.push(chunk.length);
      api.inFlight++;
      api.maxInFlight = Math.max(api.maxInFlight, api.inFlight);
      await new Promise((r) => setTimeout(r, 0));
      api.inFlight--;
    },
    async endUpload(job) {
      api.calls.push({ method: 'endUpload', args: [job] });
    },
    async cancelJob(job) {
      api.calls.push({ method: 'cancelJob', args: [job] });
    },
    async recentFiles() {
      return [];
    },
    async setViewState(json) {
      api.calls.push({ method: 'setViewState', args: [json] });
    },
    async saveDialog() {
      return null;
    },
    async exportDialog(formatId) {
      api.calls.push({ method: 'exportDialog', args: [formatId] });
      return null;
    },
    async exportProfile(formatId) {
      api.calls.push({ method: 'exportProfile', args: [formatId] });
      return { name: `small.${formatId}`, bytes: new TextEncoder().encode('main;work 1\n') };
    },
  };
  return api;
}

/** main;work;leaf style profile: host and guest frames, one event. */
export function smallProfile(name = 'small.txt'): Profile {
  const b = new ProfileBuilder();
  const ev = b.event('cycles');
  const t = b.thread('qemu', 1, 1);
  const add = (frames: [string, ExecContext][], weight: number) => {
    let s = -1;
    for (const [n, c] of frames) s = b.stack(s, b.frame(n, null, c));
    b.sample({ stack: s, time: 0, weight, event: ev, cpu: 0, thread: t, vcpu: -1, context: frames[frames.length - 1][1] });
  };
  add([['main', ExecContext.HostUser], ['kvm_vcpu_run', ExecContext.Hypervisor], ['guest_fn', ExecContext.GuestKernel]], 6);
  add([['main', ExecContext.HostUser], ['helper', ExecContext.HostUser]], 4);
  b.warn(3, 'skipped a line');
  return b.build({ name, source: 'test', weightUnit: 'samples' });
}
