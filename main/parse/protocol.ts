/** Messages between a parse job (main thread) and its worker thread. */
import type { VpmuDesign } from '../../emulator/scenario/types';

export interface ParseWorkerData {
  fileName: string;
  /** Read this file directly; absent when the bytes arrive as `chunk` messages. */
  path?: string;
  /** Instead of a file: run this scenario and record it. */
  scenario?: ScenarioRun;
}

/** A scenario run the API session has already checked (main/api/scenarios.ts prepareRun). */
export interface ScenarioRun {
  /** The scenario file's text with the run's overrides written in. */
  text: string;
  /** `record -e`; absent: the scenario's own sessions, else perf's default event. */
  events?: string;
  /** Record once per design and open the comparison instead. */
  compare?: VpmuDesign[];
}

export type ToWorker = { type: 'chunk'; bytes: Uint8Array } | { type: 'end' };

export type FromWorker =
  /** Source bytes read so far (compressed bytes for a gzip file). */
  | { type: 'progress'; bytes: number }
  /** Upload chunks the worker has consumed, for back-pressure. */
  | { type: 'consumed'; bytes: number }
  | { type: 'done'; profile: Uint8Array; warnings: string[] }
  | { type: 'error'; message: string };
