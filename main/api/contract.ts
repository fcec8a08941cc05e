/**
 * The API contract between the window and the main side: types only.
 *
 * The same `GuestperfApi` is served three ways: Electron IPC (the preload
 * exposes it as `window.guestperf`), the web host (a WebSocket, see "Wire
 * format" below) and tests (handlers called directly). The renderer imports
 * this file and nothing else from main/, and only its types.
 */

export type JobId = number;

/** Methods the window calls. Every argument is validated on the main side. */
export interface ApiMethods {
  /** Which shell serves the window, and what it can open. */
  info(): Promise<HostInfo>;
  /** Desktop only: shows the native Open dialog; null when the user cancels. */
  openDialog(): Promise<JobId | null>;
  /** Opens a file by path (desktop, recent files, command line). */
  openPath(path: string): Promise<JobId>;
  /**
   * Runs a built-in scenario (guestperf scenarios) and opens its recording:
   * `record -a -g` at perf's default 4000 Hz for the scenario's duration.
   * Options are checked against the scenario before anything runs.
   */
  openScenario(name: string, options?: ScenarioRunOptions): Promise<JobId>;
  /** The same for a scenario file's text; its errors read `file:line:column: path: what`. */
  openScenarioText(fileName: string, yamlText: string, options?: ScenarioRunOptions): Promise<JobId>;
  /** The built-in scenarios, for the scenario picker. */
  listScenarios(): Promise<ScenarioInfo[]>;
  /** What a scenario file holds (its VMs and their designs); throws its first error. */
  describeScenarioText(fileName: string, yamlText: string): Promise<ScenarioInfo>;
  /** Parses a perf event string as the perf tool does (default arch x86_64, vendor intel or arm). */
  checkEvents(text: string, arch?: ScenarioArch, vendor?: ScenarioVendor): Promise<EventCheck>;
  /**
   * Browser mode and drag-and-drop: the window streams a file's bytes.
   * `size` is the file's size in bytes, used for progress and the early
   * "too large" check; chunks are at most HostInfo.maxChunkBytes bytes.
   */
  beginUpload(name: string, size: number): Promise<JobId>;
  uploadChunk(job: JobId, chunk: Uint8Array): Promise<void>;
  endUpload(job: JobId): Promise<void>;
  /** Stops a load; the window keeps what it showed before. */
  cancelJob(job: JobId): Promise<void>;
  recentFiles(): Promise<string[]>;
  /**
   * The window's view state (tab, zoom, selection, filters, search) as JSON
   * text, sent whenever it changes. Saving and the native export write it
   * with the trace; opening a trace resets it.
   */
  setViewState(json: string): Promise<void>;
  /** Desktop only: Save As… dialog for the current profile; the saved path, or null. */
  saveDialog(): Promise<string | null>;
  /** Desktop only: File > Export… in one of HostInfo.exportFormats; the written path, or null. */
  exportDialog(formatId: string): Promise<string | null>;
  /** The current profile exported in memory, for the browser to download. */
  exportProfile(formatId: string): Promise<ExportedFile>;
}

export type VpmuDesignName = 'none' | 'emulated' | 'mediated' | 'partitioned' | 'paravirt';
export type ScenarioArch = 'x86_64' | 'arm64';
export type ScenarioVendor = 'intel' | 'amd' | 'arm';

export interface ScenarioInfo {
  name: string;
  /** One line (a built-in's summary; empty for a file). */
  description: string;
  arch: ScenarioArch;
  vendor: ScenarioVendor;
  cpus: number;
  durationMs: number;
  /** The host's NMI watchdog counts in guests, which a mediated VM cannot start beside (EBUSY). */
  nmiWatchdog: boolean;
  vms: { name: string; vcpus: number; vpmu: VpmuDesignName }[];
  /** The designs KVM offers on this architecture: what each VM may choose. */
  designs: VpmuDesignName[];
}

/** How to run a scenario instead of as written. */
export interface ScenarioRunOptions {
  /** perf events for `record -e` (default: the scenario's own sessions, else cycles). */
  events?: string;
  /** vPMU design per VM name. */
  vpmu?: Record<string, VpmuDesignName>;
  /** Simulated time, instead of the scenario's duration. */
  durationMs?: number;
  /** Turns the host's NMI watchdog on or off (machine.nmi_watchdog). */
  nmiWatchdog?: boolean;
  /** Runs the scenario once per design and opens the comparison trace instead. */
  compare?: VpmuDesignName[];
}

/** One parsed event, with the perf_event_attr bits that say which side of the guest boundary it counts. */
export interface CheckedEvent {
  name: string;
  pmu: string;
  /** Index of its group leader in the list (its own index when standalone). */
  leader: number;
  exclude_user: boolean;
  exclude_kernel: boolean;
  exclude_hv: boolean;
  exclude_guest: boolean;
  exclude_host: boolean;
  precise_ip: number;
}

export type EventCheck =
  | { ok: true; events: CheckedEvent[] }
  /** `message` is perf's own (with its caret line); `column` the 0-based character it points at. */
  | { ok: false; message: string; reason: string; column: number };

export interface ExportedFile {
  /** Suggested file name, with the format's extension. */
  name: string;
  bytes: Uint8Array;
}

export interface ExportFormatInfo {
  id: string;
  name: string;
  extension: string;
}

export type ApiMethodName = keyof ApiMethods;

export interface HostInfo {
  host: 'electron' | 'web';
  version: string;
  /** File extensions File > Open accepts (without the dot). */
  extensions: string[];
  /** Largest file the host will try to load, in bytes. */
  maxFileBytes: number;
  /** Largest chunk uploadChunk accepts, in bytes. */
  maxChunkBytes: number;
  /** Formats File > Export… offers. */
  exportFormats: ExportFormatInfo[];
}

/** Events the main side pushes to the window. */
export type ApiEvent =
  | { type: 'job-started'; job: JobId; name: string; total: number }
  | { type: 'job-progress'; job: JobId; bytes: number; total: number }
  /** `profile` is the serialized model (profile/serialize.ts). */
  | { type: 'job-done'; job: JobId; name: string; profile: Uint8Array; warnings: string[] }
  | { type: 'job-failed'; job: JobId; name: string; message: string }
  | { type: 'job-cancelled'; job: JobId }
  /** A native menu item the window must act on (desktop). */
  | { type: 'menu'; command: 'open-browser-file' };

export interface GuestperfApi extends ApiMethods {
  /** Subscribes to pushed events; the returned function unsubscribes. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

export const MAX_UPLOAD_CHUNK = 4 * 1024 * 1024;
/** Longest view state setViewState accepts, in characters. */
export const MAX_VIEW_STATE = 256 * 1024;

/**
 * Wire format of the web host's WebSocket (`/api?token=...`). Every message
 * is one binary frame:
 *
 *   u32 LE n | n bytes of UTF-8 JSON | optional payload bytes
 *
 * Client → host: {"id": number, "method": ApiMethodName, "args": [...]}; for
 * `uploadChunk` the chunk is the payload and args is [job].
 * Host → client: {"id", "result"} or {"id", "error": message}, and
 * {"event": ApiEvent}; for `job-done` the profile is the payload and the
 * event's `profile` field is omitted from the JSON. A profile larger than
 * WIRE_PART_BYTES goes as consecutive frames {"event", "part": [i, n]}, the
 * i-th of n slices of it as each one's payload: Chromium hands the page one
 * huge message with a long pause after it, a few smaller ones without.
 * A result with a `bytes` field (ExportedFile) carries them as the payload,
 * omitted from the JSON.
 */
export const WIRE_PART_BYTES = 4 * 1024 * 1024;

export interface WireRequest {
  id: number;
  method: ApiMethodName;
  args: unknown[];
}
export type WireReply = { id: number; result: unknown } | { id: number; error: string } | { event: ApiEvent };
